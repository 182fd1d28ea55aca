// The certificate and private key of `serve --ssl-cert/--ssl-key`, checked before binding so that
// a wrong path, a file that is not PEM or a key that belongs to another certificate is a clear
// error naming the file, not a server that fails every handshake.
#pragma once

#include <string>

#include "base/expected.h"

namespace qinfer::server {

// Both files readable PEM (a certificate chain, a private key) and the key the certificate's.
Status check_tls_files(const std::string& cert_file, const std::string& key_file);

}  // namespace qinfer::server
