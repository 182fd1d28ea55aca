#include "model/weights.h"

#include <set>

namespace qinfer {
namespace {

// Looks tensors up by name, checks them, and remembers which names were used so that leftovers
// can be reported.
class Binder {
 public:
  Binder(const TensorMap& tensors, const std::string& source) : tensors_(tensors), source_(source) {}

  Expected<TensorView> matrix(const std::string& name, int64_t rows, int64_t cols) {
    QINFER_ASSIGN_OR_RETURN(TensorView view, find(name, {rows, cols}));
    if (!is_supported_matrix_dtype(view.dtype)) {
      return make_error("{}: tensor '{}' has dtype {}, not supported for weights (f32, f16, bf16, "
                        "q8_0, q4_0, q4_K, q5_K, q6_K)",
                        source_, name, dtype_name(view.dtype));
    }
    return view;
  }

  Expected<TensorView> vector(const std::string& name, int64_t size) {
    QINFER_ASSIGN_OR_RETURN(TensorView view, find(name, {size}));
    if (view.dtype != DType::F32) {
      return make_error("{}: tensor '{}' has dtype {}; norm weights must be f32 after loading "
                        "(widen_vectors_to_f32 converts f16/bf16)",
                        source_, name, dtype_name(view.dtype));
    }
    return view;
  }

  void skip(const std::string& name) { used_.insert(name); }

  Status check_all_used() const {
    for (const auto& [name, view] : tensors_) {
      if (used_.count(name) == 0) {
        return make_error("{}: unexpected tensor '{}' {} (not part of a Qwen3 model with this "
                          "config)",
                          source_, name, shape_string(view.shape));
      }
    }
    return ok_status();
  }

 private:
  Expected<TensorView> find(const std::string& name, const std::vector<int64_t>& shape) {
    auto it = tensors_.find(name);
    if (it == tensors_.end()) return make_error("{}: missing tensor '{}'", source_, name);
    used_.insert(name);
    const TensorView& view = it->second;
    if (view.shape != shape) {
      return make_error("{}: tensor '{}' has shape {}, expected {} from config.json", source_,
                        name, shape_string(view.shape), shape_string(shape));
    }
    std::optional<uint64_t> bytes = row_bytes(view.dtype, static_cast<uint64_t>(view.elements()));
    if (view.data == nullptr || !bytes || *bytes != view.nbytes) {
      return make_error("{}: tensor '{}' has {} bytes of data, expected {}", source_, name,
                        view.nbytes, bytes.value_or(0));
    }
    return view;
  }

  const TensorMap& tensors_;
  const std::string& source_;
  std::set<std::string> used_;
};

}  // namespace

bool is_supported_matrix_dtype(DType dtype) {
  switch (dtype) {
    case DType::F32: case DType::F16: case DType::BF16:
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      return true;
  }
  return false;
}

Expected<ModelWeights> bind_weights(const Qwen3Config& config, const TensorMap& tensors,
                                    const std::string& source) {
  const int64_t H = config.hidden_size, I = config.intermediate_size, V = config.vocab_size;
  const int64_t D = config.head_dim;
  Binder binder(tensors, source);
  ModelWeights weights;
  QINFER_ASSIGN_OR_RETURN(weights.embed_tokens, binder.matrix("model.embed_tokens.weight", V, H));
  weights.layers.resize(static_cast<size_t>(config.num_hidden_layers));
  for (int64_t i = 0; i < config.num_hidden_layers; ++i) {
    LayerWeights& layer = weights.layers[static_cast<size_t>(i)];
    const std::string prefix = fmt::format("model.layers.{}.", i);
    QINFER_ASSIGN_OR_RETURN(layer.input_layernorm, binder.vector(prefix + "input_layernorm.weight", H));
    QINFER_ASSIGN_OR_RETURN(layer.q_proj, binder.matrix(prefix + "self_attn.q_proj.weight", config.q_dim(), H));
    QINFER_ASSIGN_OR_RETURN(layer.k_proj, binder.matrix(prefix + "self_attn.k_proj.weight", config.kv_dim(), H));
    QINFER_ASSIGN_OR_RETURN(layer.v_proj, binder.matrix(prefix + "self_attn.v_proj.weight", config.kv_dim(), H));
    QINFER_ASSIGN_OR_RETURN(layer.q_norm, binder.vector(prefix + "self_attn.q_norm.weight", D));
    QINFER_ASSIGN_OR_RETURN(layer.k_norm, binder.vector(prefix + "self_attn.k_norm.weight", D));
    QINFER_ASSIGN_OR_RETURN(layer.o_proj, binder.matrix(prefix + "self_attn.o_proj.weight", H, config.q_dim()));
    QINFER_ASSIGN_OR_RETURN(layer.post_attention_layernorm,
                            binder.vector(prefix + "post_attention_layernorm.weight", H));
    QINFER_ASSIGN_OR_RETURN(layer.gate_proj, binder.matrix(prefix + "mlp.gate_proj.weight", I, H));
    QINFER_ASSIGN_OR_RETURN(layer.up_proj, binder.matrix(prefix + "mlp.up_proj.weight", I, H));
    QINFER_ASSIGN_OR_RETURN(layer.down_proj, binder.matrix(prefix + "mlp.down_proj.weight", H, I));
  }
  QINFER_ASSIGN_OR_RETURN(weights.norm, binder.vector("model.norm.weight", H));
  if (config.tie_word_embeddings) {
    weights.lm_head = weights.embed_tokens;
    binder.skip("lm_head.weight");  // some exporters store the tied copy; transformers ignores it
  } else {
    QINFER_ASSIGN_OR_RETURN(weights.lm_head, binder.matrix("lm_head.weight", V, H));
  }
  QINFER_RETURN_IF_ERROR(binder.check_all_used());
  return weights;
}

void widen_vectors_to_f32(TensorMap& tensors, std::deque<std::vector<float>>& storage) {
  for (auto& [name, view] : tensors) {
    if (view.shape.size() != 1 || (view.dtype != DType::F16 && view.dtype != DType::BF16)) continue;
    std::vector<float>& widened = storage.emplace_back(static_cast<size_t>(view.elements()));
    const auto* raw = view.as<uint16_t>();
    for (size_t j = 0; j < widened.size(); ++j) {
      // memcpy-free read is fine: the loader guarantees 2-byte alignment of 16-bit tensors.
      widened[j] = view.dtype == DType::BF16 ? bf16_to_f32(raw[j]) : f16_to_f32(raw[j]);
    }
    view.dtype = DType::F32;
    view.data = reinterpret_cast<const std::byte*>(widened.data());
    view.nbytes = widened.size() * sizeof(float);
  }
}

}  // namespace qinfer
