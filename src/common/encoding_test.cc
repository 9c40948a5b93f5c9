#include "common/encoding.h"

#include <gtest/gtest.h>

#include "common/crypto.h"
#include "common/secret.h"

#include <sstream>

namespace ac::common {
namespace {

TEST(EncodingTest, HexRoundTrip) {
  EXPECT_EQ(HexEncode(std::string("\x00\xff\x10", 3)), "00ff10");
  EXPECT_EQ(HexDecode("00FF10").value(), std::string("\x00\xff\x10", 3));
  EXPECT_FALSE(HexDecode("0").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

TEST(EncodingTest, UriEncodeUsesAwsUnreservedSet) {
  EXPECT_EQ(UriEncode("a-._~Z09 /$"), "a-._~Z09%20%2F%24");
  EXPECT_EQ(UriEncode("a b/c", /*keep_slash=*/true), "a%20b/c");
  EXPECT_EQ(UriEncode("\xe1\x88\xb4"), "%E1%88%B4");
  EXPECT_EQ(UriDecode("%E1%88%B4x").value(), "\xe1\x88\xb4x");
  EXPECT_FALSE(UriDecode("%4").has_value());
  EXPECT_FALSE(UriDecode("%zz").has_value());
}

TEST(EncodingTest, Base64RoundTrip) {
  for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(Base64Decode(Base64Encode(s)).value(), s);
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_FALSE(Base64Decode("Zm9v!").has_value());
}

TEST(CryptoTest, Sha256AndHmac) {
  EXPECT_EQ(Sha256Hex(""), kEmptySha256Hex);
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // RFC 4231 test case 2.
  const Sha256Digest mac = HmacSha256("Jefe", "what do ya want for nothing?");
  EXPECT_EQ(HexEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size())),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(SecretTest, NeverPrintsItsValue) {
  const Secret secret("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  std::ostringstream os;
  os << secret;
  EXPECT_EQ(os.str(), "***");
  EXPECT_EQ(fmt::format("key={}", secret), "key=***");
  EXPECT_EQ(secret.Reveal(), "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
}

}  // namespace
}  // namespace ac::common
