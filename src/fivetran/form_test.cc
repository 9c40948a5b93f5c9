#include "fivetran/form.h"

#include <gtest/gtest.h>

#include <set>

namespace ac::fivetran {
namespace {

using connector::ConfigField;

const pb::FormField* Find(const pb::ConfigurationFormResponse& form, const std::string& name) {
  for (const auto& field : form.fields()) {
    if (field.name() == name) return &field;
  }
  return nullptr;
}

TEST(FormTest, EveryConfigurationKeyIsAField) {
  pb::ConfigurationFormResponse form;
  const std::vector<connector::ConnectionTest> tests = {{"credentials", "Credentials"},
                                                        {"database", "Database"}};
  BuildConfigurationForm(connector::ConfigFields(), tests, &form);
  EXPECT_FALSE(form.schema_selection_supported());
  EXPECT_TRUE(form.table_selection_supported());
  std::set<std::string> names;
  for (const auto& field : form.fields()) names.insert(field.name());
  for (const auto& field : connector::ConfigFields()) {
    EXPECT_TRUE(names.count(field.name)) << field.name;
  }
  for (const char* required : {"aws_access_key_id", "aws_secret_access_key", "region_name",
                               "database_name", "s3_staging_dir"}) {
    const pb::FormField* field = Find(form, required);
    ASSERT_NE(field, nullptr) << required;
    ASSERT_TRUE(field->has_required());
    EXPECT_TRUE(field->required()) << required;
    EXPECT_FALSE(field->label().empty());
    EXPECT_TRUE(field->has_description());
  }
  const pb::FormField* secret = Find(form, "aws_secret_access_key");
  EXPECT_EQ(secret->type_case(), pb::FormField::kTextField);
  EXPECT_EQ(secret->text_field(), pb::Password);
  EXPECT_EQ(Find(form, "aws_access_key_id")->text_field(), pb::PlainText);
  const pb::FormField* catalog = Find(form, "catalog");
  ASSERT_NE(catalog, nullptr);
  EXPECT_FALSE(catalog->required());
  EXPECT_EQ(catalog->default_value(), "AwsDataCatalog");
  const pb::FormField* fetcher = Find(form, "result_fetcher");
  ASSERT_NE(fetcher, nullptr);
  ASSERT_EQ(fetcher->type_case(), pb::FormField::kDropdownField);
  EXPECT_GE(fetcher->dropdown_field().dropdown_field_size(), 2);
  ASSERT_EQ(form.tests_size(), 2);
  EXPECT_EQ(form.tests(0).name(), "credentials");
  EXPECT_EQ(form.tests(1).label(), "Database");
}

TEST(FormTest, TogglesAndConditionalFields) {
  using K = ConfigField::Kind;
  const std::vector<ConfigField> fields = {
      {"use_role", "Use a role", "Assume a role", false, "false", K::kToggle, {}, ""},
      {"role_arn", "Role ARN", "The role", true, "", K::kText, {}, "use_role"},
      {"mode", "Mode", "How", false, "a", K::kDropdown, {"a", "b"}, ""},
      {"b_option", "B option", "Only for b", false, "", K::kPassword, {}, "mode=b"},
      {"orphan", "Orphan", "Parent missing", false, "", K::kText, {}, "nope"},
  };
  pb::ConfigurationFormResponse form;
  BuildConfigurationForm(fields, {}, &form);
  ASSERT_EQ(form.fields_size(), 5);
  EXPECT_EQ(form.fields(0).name(), "use_role");
  EXPECT_EQ(form.fields(0).type_case(), pb::FormField::kToggleField);
  EXPECT_EQ(form.fields(0).default_value(), "false");
  const pb::FormField& role_block = form.fields(1);
  ASSERT_EQ(role_block.type_case(), pb::FormField::kConditionalFields);
  EXPECT_EQ(role_block.conditional_fields().condition().condition_field(), "use_role");
  EXPECT_TRUE(role_block.conditional_fields().condition().bool_value());
  ASSERT_EQ(role_block.conditional_fields().fields_size(), 1);
  EXPECT_EQ(role_block.conditional_fields().fields(0).name(), "role_arn");
  EXPECT_EQ(form.fields(2).name(), "mode");
  const pb::FormField& b_block = form.fields(3);
  ASSERT_EQ(b_block.type_case(), pb::FormField::kConditionalFields);
  EXPECT_EQ(b_block.conditional_fields().condition().string_value(), "b");
  EXPECT_EQ(b_block.conditional_fields().fields(0).text_field(), pb::Password);
  EXPECT_EQ(form.fields(4).name(), "orphan");  // unknown parent: shown flat
}

}  // namespace
}  // namespace ac::fivetran
