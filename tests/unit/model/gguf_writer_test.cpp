// GGUF writing: the streaming writer round-trips through the reader, Qwen3 names map both ways,
// the tokenizer metadata matches what convert_hf_to_gguf.py derives from the real Qwen3 files, and
// a model written by mkmodel --format gguf loads with the same weights as the HF directory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "model/config.h"
#include "model/gguf_model.h"
#include "model/gguf_model_writer.h"
#include "model/gguf_qwen3_names.h"
#include "model/gguf_tokenizer_metadata.h"
#include "model/gguf_writer.h"
#include "model/hf_checkpoint.h"
#include "model/hf_model_writer.h"
#include "model/random_init.h"
#include "model_test_files.h"

namespace qinfer {
namespace {

using testing::ScratchDir;

const std::string kTokenizerDir = std::string(QINFER_SOURCE_DIR) + "/.deps/qwen3-tokenizer";

TEST(GgufWriter, RoundTripsThroughTheReader) {
  ScratchDir dir;
  GgufWriter writer;
  writer.add_string("general.architecture", "qwen3");
  writer.add_uint32("u32", 7);
  writer.add_int32("i32", -3);
  writer.add_uint64("u64", uint64_t{1} << 50);
  writer.add_float32("f32", 0.25f);
  writer.add_bool("flag", true);
  writer.add_string_array("strs", {"a", "", "\xc4\xa0 x"});
  writer.add_int32_array("ints", {1, 3, 4});
  writer.add_tensor_info("m", {3, 5}, DType::F32);   // 60 bytes -> padded to 64
  writer.add_tensor_info("h", {7}, DType::BF16);      // 14 bytes
  ASSERT_TRUE(writer.begin(dir.file("x.gguf")).ok());
  std::vector<float> m(15);
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i) * 0.5f;
  // Chunks of any size, never crossing into the next tensor.
  ASSERT_TRUE(writer.write_tensor_data(m.data(), 4 * 4).ok());
  ASSERT_TRUE(writer.write_tensor_data(m.data() + 4, 11 * 4).ok());
  std::vector<uint16_t> h(7, f32_to_bf16(-2.0f));
  EXPECT_FALSE(writer.write_tensor_data(h.data(), 16).ok());  // more than 'h' holds
  ASSERT_TRUE(writer.write_tensor_data(h.data(), 14).ok());
  EXPECT_FALSE(writer.write_tensor_data(h.data(), 2).ok());   // past the last tensor
  ASSERT_TRUE(writer.finish().ok());

  auto file = GgufFile::open(dir.file("x.gguf"));
  ASSERT_TRUE(file.ok()) << file.error().message;
  EXPECT_EQ(file->version(), 3u);
  EXPECT_EQ(*file->get_string("general.architecture"), "qwen3");
  EXPECT_EQ(file->find("u32")->type, GgufType::kUint32);
  EXPECT_EQ(*file->get_uint("u32"), 7u);
  EXPECT_EQ(*file->get_int("i32"), -3);
  EXPECT_EQ(*file->get_uint("u64"), uint64_t{1} << 50);
  EXPECT_EQ(*file->get_float("f32"), 0.25);
  EXPECT_TRUE(*file->get_bool("flag"));
  EXPECT_EQ((**file->get_string_array("strs"))[2], "\xc4\xa0 x");
  EXPECT_EQ(*file->get_int_array("ints"), (std::vector<int64_t>{1, 3, 4}));
  const GgufTensorInfo* mi = file->find_tensor("m");
  ASSERT_NE(mi, nullptr);
  EXPECT_EQ(mi->shape, (std::vector<int64_t>{3, 5}));
  EXPECT_EQ(std::memcmp(file->view(*mi).data, m.data(), 60), 0);
  const GgufTensorInfo* hi = file->find_tensor("h");
  EXPECT_EQ(hi->offset % 32, 0u);
  EXPECT_EQ(hi->offset, 64u);
  EXPECT_EQ(bf16_to_f32(file->view(*hi).as<uint16_t>()[6]), -2.0f);
}

TEST(GgufWriter, RefusesIncompleteOrInconsistentFiles) {
  ScratchDir dir;
  {
    GgufWriter writer;
    writer.add_tensor_info("m", {4}, DType::F32);
    ASSERT_TRUE(writer.begin(dir.file("short.gguf")).ok());
    ASSERT_TRUE(writer.write_tensor_data("abcd", 4).ok());
    auto status = writer.finish();
    ASSERT_FALSE(status.ok());
    EXPECT_NE(status.error().message.find("tensor 'm' is incomplete (4 of 16 bytes"), std::string::npos);
  }
  {
    GgufWriter writer;
    writer.add_uint32("k", 1);
    writer.add_uint32("k", 2);
    EXPECT_NE(writer.begin(dir.file("dup.gguf")).error().message.find("duplicate metadata key 'k'"),
              std::string::npos);
  }
  {
    GgufWriter writer;
    writer.add_tensor_info("q", {2, 16}, DType::Q8_0);
    EXPECT_NE(writer.begin(dir.file("q.gguf")).error().message.find("not a whole number of q8_0"),
              std::string::npos);
  }
}

TEST(GgufNames, MapEveryQwen3TensorBothWays) {
  Qwen3Config config = testing::small_config(false);
  config.num_hidden_layers = 12;
  for (const auto& spec : qwen3_tensor_specs(config)) {
    auto gguf = gguf_name_from_hf(spec.name);
    ASSERT_TRUE(gguf.has_value()) << spec.name;
    EXPECT_EQ(hf_name_from_gguf(*gguf), spec.name);
  }
  EXPECT_EQ(gguf_name_from_hf("model.layers.11.self_attn.o_proj.weight"), "blk.11.attn_output.weight");
  EXPECT_EQ(gguf_name_from_hf("model.layers.0.post_attention_layernorm.weight"), "blk.0.ffn_norm.weight");
  EXPECT_EQ(hf_name_from_gguf("output.weight"), "lm_head.weight");
  EXPECT_EQ(hf_name_from_gguf("blk.3.attn_k_norm.weight"), "model.layers.3.self_attn.k_norm.weight");
  EXPECT_FALSE(hf_name_from_gguf("blk.x.attn_q.weight").has_value());
  EXPECT_FALSE(hf_name_from_gguf("blk.01.attn_q.weight").has_value());
  EXPECT_FALSE(hf_name_from_gguf("blk.0.attn_q.bias").has_value());
  EXPECT_FALSE(hf_name_from_gguf("rope_freqs.weight").has_value());
  EXPECT_FALSE(gguf_name_from_hf("model.layers.0.self_attn.q_proj.bias").has_value());
}

TEST(GgufModelWriter, SizeLabelAndFileTypeFollowTheConverter) {
  // Expected values from gguf-py 0.19.0's gguf.size_label(n, 0, 0, 0).
  EXPECT_EQ(gguf_size_label(596049920), "596M");
  EXPECT_EQ(gguf_size_label(9748288), "10M");
  EXPECT_EQ(gguf_size_label(14768307200), "15B");
  EXPECT_EQ(gguf_size_label(1500), "1.5K");
  EXPECT_EQ(gguf_size_label(999999), "1000K");
  EXPECT_EQ(gguf_size_label(1000001), "1.0M");
  EXPECT_EQ(gguf_size_label(2500000), "2.5M");
  EXPECT_EQ(gguf_size_label(1234567890123), "1.2T");
  EXPECT_EQ(*gguf_file_type(DType::F32), 0u);
  EXPECT_EQ(*gguf_file_type(DType::F16), 1u);
  EXPECT_EQ(*gguf_file_type(DType::BF16), 32u);
  EXPECT_FALSE(gguf_file_type(DType::Q8_0).ok());
}

TEST(GgufTokenizerMetadata, MatchesTheConverterOnTheRealQwen3Tokenizer) {
  auto meta = build_gguf_tokenizer_metadata(kTokenizerDir, hf_config_json(testing::small_config(true), "bfloat16"), 151936);
  ASSERT_TRUE(meta.ok()) << meta.error().message;
  EXPECT_EQ(meta->model, "gpt2");
  EXPECT_EQ(meta->pre, "qwen2");
  ASSERT_EQ(meta->tokens.size(), 151936u);
  ASSERT_EQ(meta->token_types.size(), 151936u);
  EXPECT_EQ(meta->tokens[9707], "Hello");
  EXPECT_EQ(meta->token_types[9707], 1);                // NORMAL
  EXPECT_EQ(meta->tokens[151643], "<|endoftext|>");
  EXPECT_EQ(meta->token_types[151643], 3);              // CONTROL (special)
  EXPECT_EQ(meta->tokens[151657], "<tool_call>");
  EXPECT_EQ(meta->token_types[151657], 4);              // USER_DEFINED (added, not special)
  EXPECT_EQ(meta->tokens[151659], "<|fim_prefix|>");
  EXPECT_EQ(meta->token_types[151659], 3);              // not special but looks special
  EXPECT_EQ(meta->tokens[151668], "</think>");
  EXPECT_EQ(meta->token_types[151668], 4);
  EXPECT_EQ(meta->tokens[151669], "[PAD151669]");
  EXPECT_EQ(meta->token_types[151669], 5);              // UNUSED
  EXPECT_EQ(meta->tokens[151935], "[PAD151935]");
  ASSERT_EQ(meta->merges.size(), 151387u);
  EXPECT_EQ(meta->merges[0], "\xc4\xa0 \xc4\xa0");      // "Ġ Ġ"
  EXPECT_EQ(meta->merges[2], "i n");
  // eos and pad from tokenizer_config.json, then bos from config.json (small_config: bos 1).
  using Ids = std::vector<std::pair<std::string, uint32_t>>;
  EXPECT_EQ(meta->special_token_ids, (Ids{{"tokenizer.ggml.eos_token_id", 151645},
                                          {"tokenizer.ggml.padding_token_id", 151643},
                                          {"tokenizer.ggml.bos_token_id", 1}}));
  using Flags = std::vector<std::pair<std::string, bool>>;
  EXPECT_EQ(meta->add_special_token, (Flags{{"tokenizer.ggml.add_bos_token", false}}));
  ASSERT_TRUE(meta->chat_template.has_value());
  EXPECT_NE(meta->chat_template->find("<|im_start|>"), std::string::npos);

  auto missing = build_gguf_tokenizer_metadata("/nonexistent", "{}", 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/tokenizer.json"), std::string::npos);
  auto too_small = build_gguf_tokenizer_metadata(kTokenizerDir, "{}", 1000);
  ASSERT_FALSE(too_small.ok());
  EXPECT_NE(too_small.error().message.find("is not below vocab_size 1000"), std::string::npos);
}

// The same seed through --format hf and --format gguf: identical weights, config and template.
void expect_same_model(DType dtype, bool tied) {
  ScratchDir dir;
  auto config = qwen3_preset("tiny");
  ASSERT_TRUE(config.ok());
  config->tie_word_embeddings = tied;
  ASSERT_TRUE(write_hf_model(*config, 11, dtype, kTokenizerDir, dir.file("hf")).ok());
  GgufModelWriteOptions options;
  options.threads = 2;
  uint64_t last_done = 0, last_total = 1;
  options.progress = [&](uint64_t done, uint64_t total) { last_done = done, last_total = total; };
  Status written = write_gguf_model(*config, 11, dtype, kTokenizerDir, dir.file("m.gguf"), options);
  ASSERT_TRUE(written.ok()) << written.error().message;
  EXPECT_EQ(last_done, last_total);

  auto hf = load_hf_model(dir.file("hf"));
  ASSERT_TRUE(hf.ok()) << hf.error().message;
  auto gguf = load_gguf_model(dir.file("m.gguf"));
  ASSERT_TRUE(gguf.ok()) << gguf.error().message;
  const Qwen3Config& a = (*hf)->config;
  const Qwen3Config& b = (*gguf)->config;
  EXPECT_EQ(a.vocab_size, b.vocab_size);
  EXPECT_EQ(a.hidden_size, b.hidden_size);
  EXPECT_EQ(a.intermediate_size, b.intermediate_size);
  EXPECT_EQ(a.num_hidden_layers, b.num_hidden_layers);
  EXPECT_EQ(a.num_attention_heads, b.num_attention_heads);
  EXPECT_EQ(a.num_key_value_heads, b.num_key_value_heads);
  EXPECT_EQ(a.head_dim, b.head_dim);
  EXPECT_EQ(a.max_position_embeddings, b.max_position_embeddings);
  EXPECT_EQ(a.rope_theta, b.rope_theta);
  EXPECT_EQ(static_cast<float>(a.rms_norm_eps), static_cast<float>(b.rms_norm_eps));
  EXPECT_EQ(a.tie_word_embeddings, b.tie_word_embeddings);
  EXPECT_EQ(a.bos_token_id, b.bos_token_id);
  EXPECT_EQ((*hf)->generation.eos_token_ids, (*gguf)->generation.eos_token_ids);
  EXPECT_EQ((*hf)->chat_template, (*gguf)->chat_template);
  EXPECT_EQ((*gguf)->gguf_vocab.tokens.size(), 151936u);
  EXPECT_EQ((*gguf)->gguf_vocab.tokens[151644], "<|im_start|>");

  // Matrices: the same bytes. Norms: the GGUF keeps F32 holding the HF dtype's rounded value,
  // and the HF loader widens its norms to F32, so the floats are equal too.
  auto same = [&](const TensorView& x, const TensorView& y, const std::string& what) {
    ASSERT_EQ(x.shape, y.shape) << what;
    ASSERT_EQ(x.dtype, y.dtype) << what;
    ASSERT_EQ(x.nbytes, y.nbytes) << what;
    EXPECT_EQ(std::memcmp(x.data, y.data, x.nbytes), 0) << what;
  };
  const ModelWeights& wa = (*hf)->weights;
  const ModelWeights& wb = (*gguf)->weights;
  same(wa.embed_tokens, wb.embed_tokens, "embed_tokens");
  same(wa.norm, wb.norm, "norm");
  same(wa.lm_head, wb.lm_head, "lm_head");
  EXPECT_EQ(wb.lm_head.data == wb.embed_tokens.data, tied);
  ASSERT_EQ(wa.layers.size(), wb.layers.size());
  for (size_t i = 0; i < wa.layers.size(); ++i) {
    const LayerWeights& la = wa.layers[i];
    const LayerWeights& lb = wb.layers[i];
    same(la.input_layernorm, lb.input_layernorm, "input_layernorm");
    same(la.q_proj, lb.q_proj, "q_proj");
    same(la.k_proj, lb.k_proj, "k_proj");
    same(la.v_proj, lb.v_proj, "v_proj");
    same(la.q_norm, lb.q_norm, "q_norm");
    same(la.k_norm, lb.k_norm, "k_norm");
    same(la.o_proj, lb.o_proj, "o_proj");
    same(la.post_attention_layernorm, lb.post_attention_layernorm, "post_attention_layernorm");
    same(la.gate_proj, lb.gate_proj, "gate_proj");
    same(la.up_proj, lb.up_proj, "up_proj");
    same(la.down_proj, lb.down_proj, "down_proj");
  }
}

TEST(GgufModelWriter, SameWeightsAsTheHfDirectoryBf16Tied) { expect_same_model(DType::BF16, true); }
TEST(GgufModelWriter, SameWeightsAsTheHfDirectoryF32Untied) { expect_same_model(DType::F32, false); }
TEST(GgufModelWriter, SameWeightsAsTheHfDirectoryF16Tied) { expect_same_model(DType::F16, true); }

TEST(GgufModelWriter, YarnRopeScalingRoundTrips) {
  ScratchDir dir;
  auto config = qwen3_preset("tiny");
  ASSERT_TRUE(config.ok());
  config->rope_scaling = {"yarn", 4.0, 32768};
  ASSERT_TRUE(write_gguf_model(*config, 1, DType::BF16, kTokenizerDir, dir.file("y.gguf")).ok());
  auto file = GgufFile::open(dir.file("y.gguf"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file->get_string("qwen3.rope.scaling.type"), "yarn");
  // The converter writes the scaling keys just before rope.freq_base.
  const auto& keys = file->keys();
  auto at = std::find(keys.begin(), keys.end(), "qwen3.rope.scaling.type");
  ASSERT_NE(at, keys.end());
  EXPECT_EQ(*(at + 3), "qwen3.rope.freq_base");
  auto read = qwen3_config_from_gguf(*file);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->rope_scaling.rope_type, "yarn");
  EXPECT_EQ(read->rope_scaling.factor, 4.0);
  EXPECT_EQ(read->rope_scaling.original_max_position_embeddings, 32768);
}

TEST(GgufModel, RejectsFilesThatAreNotQwen3) {
  ScratchDir dir;
  auto write = [&](const std::string& name, auto&& fill) {
    GgufWriter writer;
    fill(writer);
    EXPECT_TRUE(writer.begin(dir.file(name)).ok());
    EXPECT_TRUE(writer.finish().ok());
    return dir.file(name);
  };
  auto llama = load_gguf_model(write("llama.gguf", [](GgufWriter& w) {
    w.add_string("general.architecture", "llama");
  }));
  ASSERT_FALSE(llama.ok());
  EXPECT_NE(llama.error().message.find("general.architecture is 'llama'"), std::string::npos);

  auto base = [](GgufWriter& w, uint32_t kv_heads = 1) {
    w.add_string("general.architecture", "qwen3");
    w.add_uint32("qwen3.embedding_length", 8);
    w.add_uint32("qwen3.feed_forward_length", 16);
    w.add_uint32("qwen3.block_count", 1);
    w.add_uint32("qwen3.attention.head_count", 2);
    w.add_uint32("qwen3.attention.head_count_kv", kv_heads);
    w.add_uint32("qwen3.attention.key_length", 4);
    w.add_uint32("qwen3.context_length", 128);
  };
  auto no_eps = load_gguf_model(write("no_eps.gguf", [&](GgufWriter& w) { base(w); }));
  ASSERT_FALSE(no_eps.ok());
  EXPECT_NE(no_eps.error().message.find("missing metadata key 'qwen3.attention.layer_norm_rms_epsilon'"),
            std::string::npos);

  auto heads = load_gguf_model(write("heads.gguf", [&](GgufWriter& w) {
    base(w, 3);
    w.add_float32("qwen3.attention.layer_norm_rms_epsilon", 1e-6f);
  }));
  ASSERT_FALSE(heads.ok());
  EXPECT_NE(heads.error().message.find("head_count 2 is not a multiple of head_count_kv 3"),
            std::string::npos);

  auto no_embed = load_gguf_model(write("no_embed.gguf", [&](GgufWriter& w) {
    base(w);
    w.add_float32("qwen3.attention.layer_norm_rms_epsilon", 1e-6f);
  }));
  ASSERT_FALSE(no_embed.ok());
  EXPECT_NE(no_embed.error().message.find("missing tensor 'token_embd.weight'"), std::string::npos);

  // Tensors are named, shaped and sized; a missing layer tensor is reported by bind_weights.
  std::vector<float> zeros(32 * 8, 0.0f);
  GgufWriter w;
  base(w);
  w.add_float32("qwen3.attention.layer_norm_rms_epsilon", 1e-6f);
  w.add_string("tokenizer.ggml.model", "gpt2");
  w.add_string_array("tokenizer.ggml.tokens", std::vector<std::string>(31, "x"));
  w.add_tensor_info("token_embd.weight", {32, 8}, DType::F32);
  ASSERT_TRUE(w.begin(dir.file("vocab.gguf")).ok());
  ASSERT_TRUE(w.write_tensor_data(zeros.data(), zeros.size() * 4).ok());
  ASSERT_TRUE(w.finish().ok());
  auto vocab = load_gguf_model(dir.file("vocab.gguf"));
  ASSERT_FALSE(vocab.ok());
  EXPECT_NE(vocab.error().message.find("tokenizer.ggml.tokens has 31 entries but token_embd.weight has 32 rows"),
            std::string::npos);
}

}  // namespace
}  // namespace qinfer
