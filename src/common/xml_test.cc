#include "common/xml.h"

#include <gtest/gtest.h>

namespace ac::common {
namespace {

TEST(XmlTest, FindsElementTextAtAnyDepth) {
  std::string_view xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<!-- a comment with <Code>fake</Code> inside -->\n"
      "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
      "  <Error><Type>Sender</Type><Code>AccessDenied</Code>\n"
      "    <Message attr='a>b'>Not &lt;allowed&gt; &amp; &quot;denied&quot; "
      "&apos;x&apos;</Message>\n"
      "  </Error>\n"
      "</ErrorResponse>";
  EXPECT_EQ(XmlElementText(xml, "Code"), "AccessDenied");
  EXPECT_EQ(XmlElementText(xml, "Message"), "Not <allowed> & \"denied\" 'x'");
  EXPECT_EQ(XmlElementText(xml, "Missing"), std::nullopt);
  auto error = FindXmlElement(xml, "Error");
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(XmlElementText(*error, "Type"), "Sender");
}

TEST(XmlTest, NamespacePrefixesSelfClosingAndCdata) {
  std::string_view xml =
      "<s:Root xmlns:s=\"urn:x\"><s:Empty/><s:Text><![CDATA[a <b> & c]]> tail</s:Text></s:Root>";
  EXPECT_EQ(FindXmlElement(xml, "Empty"), std::string_view());
  EXPECT_EQ(XmlElementText(xml, "Text"), "a <b> & c tail");
}

TEST(XmlTest, NumericReferencesAndUnknownEntities) {
  EXPECT_EQ(XmlDecodeText("&#65;&#x42;&#x20AC;&#128512;"), "AB\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(XmlDecodeText("a &nbsp; b & c &#xZZ; &#0;"), "a &nbsp; b & c &#xZZ; &#0;");
}

TEST(XmlTest, RepeatedAndNestedElements) {
  std::string_view xml =
      "<ListBucketResult><Name>b</Name>"
      "<Contents><Key>a/1.csv</Key><Size>10</Size></Contents>"
      "<Contents><Key>a/2.csv</Key><Size>20</Size></Contents>"
      "<CommonPrefixes><Prefix>a/sub/</Prefix></CommonPrefixes>"
      "</ListBucketResult>";
  auto contents = FindXmlElements(xml, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(XmlElementText(contents[0], "Key"), "a/1.csv");
  EXPECT_EQ(XmlElementText(contents[1], "Size"), "20");

  std::string_view nested = "<A><A>inner</A>outer</A><A>second</A>";
  auto elements = FindXmlElements(nested, "A");
  ASSERT_EQ(elements.size(), 2u);
  EXPECT_EQ(elements[0], "<A>inner</A>outer");
  EXPECT_EQ(XmlDecodeText(elements[0]), "innerouter");
  EXPECT_EQ(elements[1], "second");
}

TEST(XmlTest, MalformedInputIsTolerated) {
  EXPECT_EQ(FindXmlElement("<Code>unterminated", "Code"), std::nullopt);
  EXPECT_EQ(FindXmlElement("<Code", "Code"), std::nullopt);
  EXPECT_EQ(FindXmlElement("", "Code"), std::nullopt);
  EXPECT_EQ(FindXmlElement("not xml at all < > <>", "Code"), std::nullopt);
  EXPECT_EQ(XmlElementText("<CodeX>no</CodeX><Code>yes</Code>", "Code"), "yes");
}

}  // namespace
}  // namespace ac::common
