#include "emulator/result_columns.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <nlohmann/json.hpp>

#include "emulator/athena_type.h"
#include "emulator/catalog.h"
#include "emulator/duckdb_exec.h"
#include "emulator/sql_translate.h"

namespace ac::emulator {
namespace {

bool IsPlainIdentifier(std::string_view name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

SelectShape AnalyzeSelect(duckdb_connection conn, const std::string& duckdb_sql) {
  SelectShape shape;
  try {
    Rows rows = QueryRows(conn, "SELECT json_serialize_sql(" + QuoteLiteral(duckdb_sql) + ")");
    if (rows.empty() || rows[0].empty() || !rows[0][0]) return shape;
    const auto doc = nlohmann::json::parse(*rows[0][0]);
    if (doc.value("error", true)) return shape;
    const auto* node = &doc.at("statements").at(0).at("node");
    while (node->value("type", "") == "SET_OPERATION_NODE") node = &node->at("left");
    if (node->value("type", "") != "SELECT_NODE") return shape;
    for (const auto& item : node->at("select_list")) {
      SelectItem si;
      si.cls = item.value("class", "");
      si.alias = item.value("alias", "");
      if (si.cls == "COLUMN_REF" && item.contains("column_names") &&
          !item["column_names"].empty()) {
        si.column = Lower(item["column_names"].back().get<std::string>());
      }
      if (si.cls == "STAR" && (!item.value("exclude_list", nlohmann::json::array()).empty() ||
                               !item.value("replace_list", nlohmann::json::array()).empty() ||
                               item.value("columns", false))) {
        si.cls = "STAR_MODIFIED";
      }
      shape.items.push_back(std::move(si));
    }
    const auto& from = node->at("from_table");
    if (from.value("type", "") == "BASE_TABLE") {
      shape.base_schema = Lower(from.value("schema_name", ""));
      shape.base_table = Lower(from.value("table_name", ""));
    }
    shape.valid = true;
  } catch (const std::exception&) {
    shape.valid = false;
  }
  return shape;
}

std::vector<int> MapOutputsToItems(const SelectShape& shape, size_t ncols) {
  std::vector<int> out(ncols, -2);
  if (!shape.valid) return out;
  int stars = 0;
  for (const auto& it : shape.items) stars += it.cls == "STAR" || it.cls == "STAR_MODIFIED";
  if (stars > 1) return out;
  if (stars == 0 && shape.items.size() != ncols) return out;
  const long star_outputs = static_cast<long>(ncols) - static_cast<long>(shape.items.size()) + 1;
  if (stars == 1 && star_outputs < 0) return out;
  size_t p = 0;
  for (size_t i = 0; i < shape.items.size(); ++i) {
    const auto& it = shape.items[i];
    if (it.cls == "STAR" || it.cls == "STAR_MODIFIED") {
      for (long k = 0; k < star_outputs && p < ncols; ++k) out[p++] = -1;
    } else if (p < ncols) {
      out[p++] = static_cast<int>(i);
    }
  }
  return out;
}

ResultColumns DescribeResultColumns(duckdb_connection conn, duckdb_prepared_statement stmt,
                                    const std::string& duckdb_sql, const std::string& database,
                                    const DisplayZone& display_zone) {
  const idx_t ncols = duckdb_prepared_statement_column_count(stmt);
  SelectShape shape = AnalyzeSelect(conn, duckdb_sql);
  std::vector<int> item_of = MapOutputsToItems(shape, ncols);
  std::map<std::string, DeclaredType> declared;
  if (shape.valid && !shape.base_table.empty()) {
    declared = DeclaredTypesOf(conn, shape.base_schema.empty() ? database : shape.base_schema,
                               shape.base_table);
  }
  ResultColumns out;
  for (idx_t c = 0; c < ncols; ++c) {
    std::string name = PreparedColumnName(stmt, c);
    DeclaredType d;
    const int item = item_of[c];
    if (item >= 0) {
      const auto& it = shape.items[static_cast<size_t>(item)];
      if (it.alias.empty() && it.cls != "COLUMN_REF") name = "_col" + std::to_string(c);
      if (it.cls == "COLUMN_REF") {
        auto found = declared.find(it.column);
        if (found != declared.end()) d = found->second;
      }
    } else if (item == -1) {
      auto found = declared.find(Lower(name));
      if (found != declared.end()) d = found->second;
    } else if (!IsPlainIdentifier(name)) {
      name = "_col" + std::to_string(c);
    }
    duckdb_logical_type t = duckdb_prepared_statement_column_logical_type(stmt, c);
    out.columns.push_back(ResultColumn{std::move(name), DescribeColumn(t, d)});
    athena_text::CellTextHints hints = d.TextHints();
    hints.zone = display_zone.zone;
    hints.zone_id = display_zone.id;
    out.formatters.push_back(athena_text::MakeCellFormatter(t, hints));
    duckdb_destroy_logical_type(&t);
  }
  return out;
}

}  // namespace ac::emulator
