#pragma once

#include <string>
#include <vector>

namespace ac::aws {

/// Where TLS trust comes from. The connector links OpenSSL statically, whose compiled-in default
/// paths (OPENSSLDIR of the build machine) need not exist where it runs, so the system's CA
/// certificates are looked up at run time at the usual places of Linux distributions.
struct CaLocation {
  std::string file;       ///< PEM bundle (CURLOPT_CAINFO); empty when none
  std::string directory;  ///< hashed certificate folder (CURLOPT_CAPATH); empty when none
  bool found() const { return !file.empty() || !directory.empty(); }
};

/// The candidates, in order: $SSL_CERT_FILE, then the bundle paths of Debian/Ubuntu, RHEL/Fedora,
/// openSUSE, Alpine and FreeBSD; folders: $SSL_CERT_DIR, then /etc/ssl/certs.
std::vector<std::string> CaBundleCandidates();
std::vector<std::string> CaDirectoryCandidates();

/// The first existing readable bundle file of `files`, and the first folder of `directories`
/// holding hashed certificates (`*.0`). An explicit `override_file` (configuration `ca_bundle`)
/// wins and is used even when it does not exist (curl then names it in its error).
CaLocation FindCaLocation(const std::string& override_file, const std::vector<std::string>& files,
                          const std::vector<std::string>& directories);

/// FindCaLocation with the system candidates; the system's answer is looked up once per process.
CaLocation SystemCaLocation(const std::string& override_file);

}  // namespace ac::aws
