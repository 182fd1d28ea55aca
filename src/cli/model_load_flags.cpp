#include "cli/model_load_flags.h"

#include "model/convert_weights.h"
#include "model/kv_cache.h"

namespace qinfer::cli {

void add_model_load_flags(CLI::App& cmd, ModelLoadFlags& flags, bool env) {
  CLI::Option* dtype = cmd.add_option(
      "--dtype", flags.dtype,
      "Convert a Hugging Face model's matrices at load: f32, f16, bf16, q8_0, q4_0, q4_k, q5_k, "
      "q6_k");
  CLI::Option* mmap = cmd.add_flag(
      "--mmap", flags.mmap,
      "Read the weights from the file mapping (page cache shared between processes, no copy at "
      "load) instead of a huge-page copy (faster decode)");
  CLI::Option* kv_type =
      cmd.add_option("--kv-type", flags.kv_type,
                     "KV cache element type: auto (f32 when the model's matrices are F32, else "
                     "f16), f32, or f16 (half the memory)")
          ->default_str("auto")
          ->check(CLI::Validator(
              [](const std::string& value) {
                // CLI11 prefixes the flag's name.
                return parse_kv_dtype(value).ok() ? std::string()
                                                  : "'" + value + "': expected auto, f32 or f16";
              },
              "auto|f32|f16"));
  if (env) {
    dtype->envname("QINFER_DTYPE");
    mmap->envname("QINFER_MMAP");
    kv_type->envname("QINFER_KV_TYPE");
  }
}

Expected<std::optional<DType>> ModelLoadFlags::kv_dtype() const { return parse_kv_dtype(kv_type); }

Expected<std::unique_ptr<Model>> load_model_with(const std::string& path,
                                                 const ModelLoadFlags& flags, int threads) {
  QINFER_ASSIGN_OR_RETURN(std::optional<DType> dtype, parse_weight_dtype(flags.dtype));
  return load_model_as(path, dtype, threads, flags.weight_memory());
}

}  // namespace qinfer::cli
