// Typed, non-throwing access to fields of a parsed JSON object, with errors that name the file and
// the field. nlohmann's own accessors throw on a type mismatch; hostile config files must give one
// clear error instead, so every read of untrusted JSON in model/ goes through these.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "base/expected.h"

namespace qinfer::json_fields {

// Parses `text` as JSON without throwing; the error names `source`.
Expected<nlohmann::json> parse(const std::string& text, const std::string& source);

// An integer (a float with an integral value, such as 1e6, is accepted; 1.5 is not).
// nullopt when the field is absent or null.
Expected<std::optional<int64_t>> optional_int(const nlohmann::json& object, const char* field,
                                              const std::string& source);
Expected<int64_t> required_int(const nlohmann::json& object, const char* field,
                               const std::string& source);
Expected<std::optional<double>> optional_number(const nlohmann::json& object, const char* field,
                                                const std::string& source);
Expected<std::optional<bool>> optional_bool(const nlohmann::json& object, const char* field,
                                            const std::string& source);
Expected<std::optional<std::string>> optional_string(const nlohmann::json& object,
                                                     const char* field, const std::string& source);

// Converts a JSON value to an integer, or nullopt when it is not an integral number.
std::optional<int64_t> as_int(const nlohmann::json& value);

// Reads a whole (small) text file; the error names the path.
Expected<std::string> read_text_file(const std::string& path);

}  // namespace qinfer::json_fields
