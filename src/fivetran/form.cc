#include "fivetran/form.h"

#include <algorithm>
#include <map>
#include <string_view>

namespace ac::fivetran {
namespace {

using connector::ConfigField;

// Example values shown in empty text boxes.
const std::map<std::string_view, std::string_view>& Placeholders() {
  static const std::map<std::string_view, std::string_view> placeholders = {
      {"region_name", "us-east-1"},
      {"s3_staging_dir", "s3://my-athena-results/fivetran/"},
      {"role_arn", "arn:aws:iam::123456789012:role/fivetran-athena"},
      {"database_name", "default"},
  };
  return placeholders;
}

void FillField(const ConfigField& field, pb::FormField* out) {
  out->set_name(field.name);
  out->set_label(field.label);
  out->set_required(field.required);
  if (!field.description.empty()) out->set_description(field.description);
  if (!field.default_value.empty()) out->set_default_value(field.default_value);
  switch (field.kind) {
    case ConfigField::Kind::kText:
      out->set_text_field(pb::PlainText);
      break;
    case ConfigField::Kind::kPassword:
      out->set_text_field(pb::Password);
      break;
    case ConfigField::Kind::kDropdown:
      for (const auto& option : field.options)
        out->mutable_dropdown_field()->add_dropdown_field(option);
      break;
    case ConfigField::Kind::kToggle:
      out->mutable_toggle_field();
      break;
  }
  if (field.kind == ConfigField::Kind::kText || field.kind == ConfigField::Kind::kPassword) {
    const auto it = Placeholders().find(field.name);
    if (it != Placeholders().end()) out->set_placeholder(std::string(it->second));
  }
}

// Parses a field's `group` into (parent, value); value empty = "parent is on" (toggle).
std::pair<std::string, std::string> SplitGroup(const std::string& group) {
  const size_t eq = group.find('=');
  if (eq == std::string::npos) return {group, ""};
  return {group.substr(0, eq), group.substr(eq + 1)};
}

}  // namespace

void BuildConfigurationForm(const std::vector<ConfigField>& fields,
                            const std::vector<connector::ConnectionTest>& tests,
                            pb::ConfigurationFormResponse* out) {
  out->set_schema_selection_supported(false);
  out->set_table_selection_supported(true);

  std::map<std::string, const ConfigField*> by_name;
  for (const auto& field : fields) by_name[field.name] = &field;

  // A field is conditional only when its parent exists and can express the condition.
  auto parent_of = [&](const ConfigField& field) -> const ConfigField* {
    if (field.group.empty()) return nullptr;
    const auto [parent, value] = SplitGroup(field.group);
    const auto it = by_name.find(parent);
    if (it == by_name.end() || it->second == &field || !it->second->group.empty()) return nullptr;
    if (value.empty() && it->second->kind != ConfigField::Kind::kToggle) return nullptr;
    return it->second;
  };

  for (const auto& field : fields) {
    if (parent_of(field) != nullptr) continue;  // emitted with its parent
    FillField(field, out->add_fields());
    // Conditional blocks hanging off this field, one per distinct condition, in form order.
    std::vector<std::string> conditions;
    for (const auto& child : fields) {
      if (parent_of(child) == &field &&
          std::find(conditions.begin(), conditions.end(), child.group) == conditions.end()) {
        conditions.push_back(child.group);
      }
    }
    for (const auto& condition : conditions) {
      const auto [parent, value] = SplitGroup(condition);
      pb::FormField* block = out->add_fields();
      block->set_name(value.empty() ? field.name + "_options"
                                    : field.name + "_" + value + "_options");
      block->set_label(value.empty() ? field.label : field.label + ": " + value);
      pb::ConditionalFields* conditional = block->mutable_conditional_fields();
      conditional->mutable_condition()->set_condition_field(field.name);
      if (value.empty()) {
        conditional->mutable_condition()->set_bool_value(true);
      } else {
        conditional->mutable_condition()->set_string_value(value);
      }
      for (const auto& child : fields) {
        if (child.group == condition && parent_of(child) == &field)
          FillField(child, conditional->add_fields());
      }
    }
  }

  for (const auto& test : tests) {
    pb::ConfigurationTest* t = out->add_tests();
    t->set_name(test.name);
    t->set_label(test.label);
  }
}

}  // namespace ac::fivetran
