#include "aws/ca_bundle.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace ac::aws {
namespace {

class CaBundleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("ca_bundle_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Write(const std::string& name) {
    const auto path = dir_ / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << "-----BEGIN CERTIFICATE-----\n";
    return path.string();
  }
  std::filesystem::path dir_;
};

TEST_F(CaBundleTest, TakesTheFirstExistingBundle) {
  const std::string second = Write("rhel/ca-bundle.crt");
  const std::string third = Write("suse/ca-bundle.pem");
  const CaLocation found =
      FindCaLocation("", {(dir_ / "debian/missing.crt").string(), second, third}, {});
  EXPECT_EQ(found.file, second);
  EXPECT_TRUE(found.directory.empty());
  EXPECT_TRUE(found.found());
}

TEST_F(CaBundleTest, FallsBackToAHashedCertificateFolder) {
  Write("certs/readme.txt");
  Write("hashed/5ad8a5d6.0");
  const CaLocation found = FindCaLocation("", {(dir_ / "none.crt").string()},
                                          {(dir_ / "certs").string(), (dir_ / "hashed").string()});
  EXPECT_TRUE(found.file.empty());
  EXPECT_EQ(found.directory, (dir_ / "hashed").string());
}

TEST_F(CaBundleTest, NothingFoundIsReported) {
  const CaLocation found = FindCaLocation("", {(dir_ / "none.crt").string()}, {dir_.string()});
  EXPECT_FALSE(found.found());
}

TEST_F(CaBundleTest, TheConfiguredBundleOverrides) {
  const std::string system = Write("system.crt");
  const CaLocation found = FindCaLocation("/configured/ca.pem", {system}, {dir_.string()});
  EXPECT_EQ(found.file, "/configured/ca.pem");
  EXPECT_TRUE(found.directory.empty());
}

TEST(CaBundleCandidatesTest, DebianPathComesFirstAfterTheEnvironment) {
  const std::vector<std::string> files = CaBundleCandidates();
  ASSERT_FALSE(files.empty());
  const std::string env =
      std::getenv("SSL_CERT_FILE") != nullptr ? std::getenv("SSL_CERT_FILE") : "";
  EXPECT_EQ(files[env.empty() ? 0 : 1], "/etc/ssl/certs/ca-certificates.crt");
  EXPECT_EQ(CaDirectoryCandidates().back(), "/etc/ssl/certs");
}

}  // namespace
}  // namespace ac::aws
