#pragma once

#include <vector>

#include "connector/config.h"
#include "connector/connector.h"
#include "fivetran/convert.h"

namespace ac::fivetran {

/// Fivetran's setup form from the connector's configuration keys and setup tests:
///  - every key a FormField with label, description, required flag and default value;
///  - kPassword -> Password text field, kText -> PlainText, kDropdown -> dropdown, kToggle ->
///  toggle;
///  - a key whose `group` is "parent" (a toggle: shown when it is on) or "parent=value" (shown
///    when the parent has that value) goes into a ConditionalFields block right after its parent;
///  - schema_selection_supported=false, table_selection_supported=true.
void BuildConfigurationForm(const std::vector<connector::ConfigField>& fields,
                            const std::vector<connector::ConnectionTest>& tests,
                            pb::ConfigurationFormResponse* out);

}  // namespace ac::fivetran
