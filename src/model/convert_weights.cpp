#include "model/convert_weights.h"

#include <cctype>
#include <vector>

#include "base/thread_pool.h"
#include "model/resident_weights.h"
#include "tensor/quantize.h"

namespace qinfer {
namespace {

// Replaces `view` by a `dtype` copy kept in model.converted (a deque: earlier copies never move;
// the float element type only provides 4-byte alignment, the bytes are blocks).
Status convert_matrix(Model& model, TensorView& view, const char* name, DType dtype,
                      ThreadPool& pool) {
  if (view.dtype == dtype) return ok_status();
  const int64_t cols = view.cols();
  const int64_t rows = view.rows();
  const auto src_row = row_bytes(view.dtype, static_cast<uint64_t>(cols));
  const auto dst_row = row_bytes(dtype, static_cast<uint64_t>(cols));
  if (!dst_row) {
    return make_error("--dtype {}: tensor {} has rows of {} elements, not a multiple of the "
                      "{}-element {} block",
                      dtype_name(dtype), name, cols, dtype_info(dtype).block_elements,
                      dtype_name(dtype));
  }
  if (!src_row) {
    return make_error("tensor {}: rows are not whole {} blocks", name, dtype_name(view.dtype));
  }
  const uint64_t bytes = *dst_row * static_cast<uint64_t>(rows);
  std::vector<float>& storage = model.converted.emplace_back((bytes + 3) / 4);
  auto* out = reinterpret_cast<std::byte*>(storage.data());
  pool.parallel_for(static_cast<size_t>(rows), [&](size_t begin, size_t end) {
    std::vector<float> row(static_cast<size_t>(cols));
    for (size_t r = begin; r < end; ++r) {
      dequantize_row(view.dtype, view.data + r * *src_row, cols, row.data());
      quantize_row(dtype, row.data(), cols, out + r * *dst_row);
    }
  });
  // The checkpoint's pages are not needed any more: keep only the converted copy resident.
  for (const MappedFile& file : model.files) file.release_pages(view.data, view.nbytes);
  view.dtype = dtype;
  view.data = out;
  view.nbytes = bytes;
  return ok_status();
}

}  // namespace

Expected<std::optional<DType>> parse_weight_dtype(std::string_view name) {
  if (name.empty()) return std::optional<DType>();
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (DType dtype : {DType::F32, DType::F16, DType::BF16, DType::Q8_0, DType::Q4_0, DType::Q4_K,
                      DType::Q5_K, DType::Q6_K}) {
    std::string known(dtype_name(dtype));
    for (char& c : known) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (known == lower) return std::optional<DType>(dtype);
  }
  return make_error("--dtype '{}': expected f32, f16, bf16, q8_0, q4_0, q4_k, q5_k or q6_k", name);
}

Status convert_matrices(Model& model, DType dtype, int threads) {
  if (model.format != ModelFormat::kHuggingFace) {
    return make_error("{}: --dtype converts a Hugging Face model at load; a GGUF keeps the types "
                      "it was written with (use qinfer quantize to change them)",
                      model.path);
  }
  ThreadPool pool(threads);
  ModelWeights& w = model.weights;
  const bool tied = w.lm_head.data == w.embed_tokens.data;
  QINFER_RETURN_IF_ERROR(
      convert_matrix(model, w.embed_tokens, "model.embed_tokens.weight", dtype, pool));
  if (tied) {
    w.lm_head = w.embed_tokens;
  } else {
    QINFER_RETURN_IF_ERROR(convert_matrix(model, w.lm_head, "lm_head.weight", dtype, pool));
  }
  for (size_t i = 0; i < w.layers.size(); ++i) {
    LayerWeights& l = w.layers[i];
    const std::string p = "model.layers." + std::to_string(i) + ".";
    const std::pair<TensorView*, const char*> matrices[] = {
        {&l.q_proj, "self_attn.q_proj.weight"}, {&l.k_proj, "self_attn.k_proj.weight"},
        {&l.v_proj, "self_attn.v_proj.weight"}, {&l.o_proj, "self_attn.o_proj.weight"},
        {&l.gate_proj, "mlp.gate_proj.weight"}, {&l.up_proj, "mlp.up_proj.weight"},
        {&l.down_proj, "mlp.down_proj.weight"}};
    for (const auto& [view, suffix] : matrices) {
      QINFER_RETURN_IF_ERROR(convert_matrix(model, *view, (p + suffix).c_str(), dtype, pool));
    }
  }
  return ok_status();
}

Expected<std::unique_ptr<Model>> load_model_as(const std::string& path, std::optional<DType> dtype,
                                               int threads, WeightMemory memory) {
  QINFER_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, load_model(path));
  if (dtype) QINFER_RETURN_IF_ERROR(convert_matrices(*model, *dtype, threads));
  place_weights(*model, memory, threads);
  return model;
}

}  // namespace qinfer
