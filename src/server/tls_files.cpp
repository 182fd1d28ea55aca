#include "server/tls_files.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace qinfer::server {
namespace {

struct FileCloser {
  void operator()(FILE* file) const { std::fclose(file); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct KeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};

// OpenSSL's reason for the last failure, e.g. "no start line" for a file that is not PEM.
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "not PEM";
  const char* reason = ERR_reason_error_string(code);
  return reason != nullptr ? reason : "not PEM";
}

Expected<std::unique_ptr<FILE, FileCloser>> open_file(const std::string& path, const char* what) {
  std::unique_ptr<FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return make_error("{} {}: cannot read ({})", what, path, std::strerror(errno));
  return file;
}

}  // namespace

Status check_tls_files(const std::string& cert_file, const std::string& key_file) {
  if (cert_file.empty() != key_file.empty()) {
    return make_error("--ssl-cert and --ssl-key go together: give both or neither");
  }
  ERR_clear_error();
  QINFER_ASSIGN_OR_RETURN(auto cert_stream, open_file(cert_file, "--ssl-cert"));
  std::unique_ptr<X509, X509Deleter> cert(
      PEM_read_X509(cert_stream.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    return make_error("--ssl-cert {}: no PEM certificate ({})", cert_file, openssl_reason());
  }
  QINFER_ASSIGN_OR_RETURN(auto key_stream, open_file(key_file, "--ssl-key"));
  std::unique_ptr<EVP_PKEY, KeyDeleter> key(
      PEM_read_PrivateKey(key_stream.get(), nullptr, nullptr, nullptr));
  if (!key) {
    return make_error("--ssl-key {}: no unencrypted PEM private key ({})", key_file,
                      openssl_reason());
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return make_error("--ssl-key {} is not the private key of the certificate in --ssl-cert {}",
                      key_file, cert_file);
  }
  return ok_status();
}

}  // namespace qinfer::server
