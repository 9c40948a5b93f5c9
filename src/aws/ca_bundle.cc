#include "aws/ca_bundle.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace ac::aws {
namespace {

std::string Env(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? std::string(value) : std::string();
}

bool IsReadableFile(const std::string& path) {
  std::error_code ec;
  if (path.empty() || !std::filesystem::is_regular_file(path, ec)) return false;
  std::ifstream in(path);
  return static_cast<bool>(in);
}

bool HasHashedCertificates(const std::string& directory) {
  std::error_code ec;
  if (directory.empty() || !std::filesystem::is_directory(directory, ec)) return false;
  for (std::filesystem::directory_iterator it(directory, ec), end; !ec && it != end;
       it.increment(ec)) {
    if (it->path().extension() == ".0") return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> CaBundleCandidates() {
  std::vector<std::string> files;
  if (std::string env = Env("SSL_CERT_FILE"); !env.empty()) files.push_back(env);
  for (const char* path : {
           "/etc/ssl/certs/ca-certificates.crt",                 // Debian, Ubuntu, Alpine, Arch
           "/etc/pki/tls/certs/ca-bundle.crt",                   // Fedora, RHEL, Amazon Linux
           "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  // RHEL 7+
           "/etc/ssl/ca-bundle.pem",                             // openSUSE
           "/etc/ssl/cert.pem",                                  // Alpine, BSDs
           "/usr/local/share/certs/ca-root-nss.crt",             // FreeBSD
       }) {
    files.emplace_back(path);
  }
  return files;
}

std::vector<std::string> CaDirectoryCandidates() {
  std::vector<std::string> directories;
  if (std::string env = Env("SSL_CERT_DIR"); !env.empty()) directories.push_back(env);
  directories.emplace_back("/etc/ssl/certs");
  return directories;
}

CaLocation FindCaLocation(const std::string& override_file, const std::vector<std::string>& files,
                          const std::vector<std::string>& directories) {
  CaLocation location;
  if (!override_file.empty()) {
    location.file = override_file;
    return location;
  }
  for (const std::string& file : files) {
    if (IsReadableFile(file)) {
      location.file = file;
      break;
    }
  }
  if (location.file.empty()) {
    for (const std::string& directory : directories) {
      if (HasHashedCertificates(directory)) {
        location.directory = directory;
        break;
      }
    }
  }
  return location;
}

CaLocation SystemCaLocation(const std::string& override_file) {
  if (!override_file.empty()) return FindCaLocation(override_file, {}, {});
  static const CaLocation system =
      FindCaLocation("", CaBundleCandidates(), CaDirectoryCandidates());
  return system;
}

}  // namespace ac::aws
