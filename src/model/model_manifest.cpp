#include "model/model_manifest.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "base/sha256_manifest.h"

namespace qinfer {
namespace fs = std::filesystem;
namespace {

// The non-weight files a Hugging Face directory's loaders read (model/hf_checkpoint.cpp,
// engine/text_assets.cpp) or that change how the model behaves.
bool is_hf_model_file(const std::string& name) {
  static const std::set<std::string> kNames = {
      "config.json",     "generation_config.json",  "tokenizer.json", "tokenizer_config.json",
      "vocab.json",      "merges.txt",              "special_tokens_map.json",
      "added_tokens.json", "chat_template.jinja"};
  if (name.find('/') != std::string::npos) return false;
  return kNames.count(name) > 0 || name.ends_with(".safetensors") ||
         name.ends_with(".safetensors.index.json");
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct HashedFiles {
  std::vector<FileDigest> digests;  // in the order of ModelFileSet::present
  double seconds = 0;
};

HashedFiles hash_present(const ModelFileSet& set, int threads, const HashProgress& progress) {
  std::vector<std::string> paths;
  for (const std::string& name : set.present) {
    paths.push_back((fs::path(set.directory) / name).string());
  }
  const auto start = std::chrono::steady_clock::now();
  HashedFiles hashed;
  hashed.digests = sha256_files(paths, threads, progress);
  hashed.seconds = seconds_since(start);
  return hashed;
}

}  // namespace

bool ModelFileSet::is_model_file(const std::string& name) const {
  return single_file ? name == file_name : is_hf_model_file(name);
}

Expected<ModelFileSet> model_file_set(const std::string& model_path) {
  std::error_code error;
  ModelFileSet set;
  if (fs::is_directory(model_path, error)) {
    set.directory = model_path;
    for (const fs::directory_entry& entry : fs::directory_iterator(model_path, error)) {
      const std::string name = entry.path().filename().string();
      if (entry.is_regular_file(error) && is_hf_model_file(name)) set.present.push_back(name);
    }
    if (error) return make_error("{}: cannot list ({})", model_path, error.message());
    std::sort(set.present.begin(), set.present.end());
  } else if (fs::is_regular_file(model_path, error)) {
    const fs::path path(model_path);
    set.directory = path.has_parent_path() ? path.parent_path().string() : ".";
    set.single_file = true;
    set.file_name = path.filename().string();
    set.present.push_back(set.file_name);
  } else {
    return make_error("{}: no such model directory or file", model_path);
  }
  set.manifest_path = (fs::path(set.directory) / kManifestName).string();
  return set;
}

Expected<VerifyReport> verify_model(const std::string& model_path, int threads,
                                    const HashProgress& progress) {
  QINFER_ASSIGN_OR_RETURN(ModelFileSet set, model_file_set(model_path));
  std::error_code error;
  if (!fs::exists(set.manifest_path, error)) {
    return make_error("{}: no {} to verify against (write one with `qinfer verify --write {}`)",
                      model_path, kManifestName, model_path);
  }
  QINFER_ASSIGN_OR_RETURN(std::vector<ManifestEntry> entries,
                          read_sha256_manifest(set.manifest_path));
  std::map<std::string, std::string> expected;  // the model's listed files -> digest
  for (const ManifestEntry& entry : entries) {
    if (set.is_model_file(entry.name)) expected[entry.name] = entry.sha256;
  }
  VerifyReport report;
  const std::set<std::string> present(set.present.begin(), set.present.end());
  for (const auto& [name, digest] : expected) {
    if (!present.count(name)) {
      report.problems.push_back(fmt::format("{}: listed in {} but missing", name, kManifestName));
    }
  }
  // Only listed files are worth hashing; an unlisted one is a problem whatever its contents.
  ModelFileSet listed = set;
  listed.present.clear();
  for (const std::string& name : set.present) {
    if (expected.count(name)) {
      listed.present.push_back(name);
    } else {
      report.problems.push_back(fmt::format("{}: not listed in {}", name, kManifestName));
    }
  }
  const HashedFiles hashed = hash_present(listed, threads, progress);
  report.seconds = hashed.seconds;
  for (size_t i = 0; i < listed.present.size(); ++i) {
    const std::string& name = listed.present[i];
    const FileDigest& digest = hashed.digests[i];
    report.files += 1;
    report.bytes += digest.bytes;
    if (!digest.error.empty()) {
      report.problems.push_back(fmt::format("{}: cannot read ({})", name, digest.error));
    } else if (digest.sha256 != expected[name]) {
      report.problems.push_back(fmt::format("{}: checksum mismatch (SHA-256 {}, {} lists {})",
                                            name, digest.sha256, kManifestName, expected[name]));
    }
  }
  std::sort(report.problems.begin(), report.problems.end());
  return report;
}

Expected<VerifyReport> write_model_manifest(const std::string& model_path, int threads,
                                            const HashProgress& progress) {
  QINFER_ASSIGN_OR_RETURN(ModelFileSet set, model_file_set(model_path));
  if (set.present.empty()) return make_error("{}: no model files to list", model_path);
  std::vector<ManifestEntry> kept;
  std::error_code error;
  if (fs::exists(set.manifest_path, error)) {
    QINFER_ASSIGN_OR_RETURN(std::vector<ManifestEntry> existing,
                            read_sha256_manifest(set.manifest_path));
    // Other files' entries stay; the model's own are all rewritten below, so stale ones (a shard
    // that is gone) disappear.
    for (ManifestEntry& entry : existing) {
      if (!set.is_model_file(entry.name)) kept.push_back(std::move(entry));
    }
  }
  const HashedFiles hashed = hash_present(set, threads, progress);
  VerifyReport report;
  report.seconds = hashed.seconds;
  std::vector<ManifestEntry> fresh;
  for (size_t i = 0; i < set.present.size(); ++i) {
    const FileDigest& digest = hashed.digests[i];
    if (!digest.error.empty()) {
      return make_error("{}: cannot read ({})", digest.path, digest.error);
    }
    fresh.push_back({set.present[i], digest.sha256});
    report.files += 1;
    report.bytes += digest.bytes;
  }
  QINFER_RETURN_IF_ERROR(
      write_sha256_manifest(set.manifest_path, merge_manifest_entries(std::move(kept), fresh)));
  return report;
}

Status verify_model_or_error(const std::string& model_path, int threads) {
  QINFER_ASSIGN_OR_RETURN(VerifyReport report, verify_model(model_path, threads));
  if (report.ok()) return ok_status();
  std::string problems;
  for (const std::string& problem : report.problems) {
    problems += (problems.empty() ? "" : "; ") + problem;
  }
  return make_error("{} failed verification against its {}: {}", model_path, kManifestName,
                    problems);
}

}  // namespace qinfer
