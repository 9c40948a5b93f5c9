// Reading the warehouse back: previews of a table, aligned text tables.

#include "warehouse/duckdb_warehouse.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "common/error.h"
#include "warehouse/warehouse_test_util.h"

namespace ac::warehouse {
namespace {

using connector::RecordType;
using testing::CustomerRows;
using testing::Customers;
using ::testing::HasSubstr;
using testing::WarehouseTest;

TEST_P(WarehouseTest, PreviewsTablesAsAlignedText) {
  wh_->Write(Customers(), RecordType::kUpsert,
             CustomerRows({{2,
                            "B\xC3\xB6"
                            "b",
                            nullptr},
                           {1, "Ann\nSmith", "ann@example.com"}}));
  const std::string preview = wh_->FormatPreview("customers", 10);
  EXPECT_THAT(preview, HasSubstr("customer_id | name       | email           | _fivetran_synced"));
  EXPECT_THAT(
      preview,
      HasSubstr("1           | Ann\\nSmith | ann@example.com | 2023-11-14 22:13:20+00 | false"));
  EXPECT_THAT(preview, HasSubstr("2           | B\xC3\xB6"
                                 "b        | NULL            |"));
  EXPECT_THAT(preview, HasSubstr("(2 rows)"));
  EXPECT_LT(preview.find("1           |"), preview.find("2           |"));  // by key
  EXPECT_THAT(wh_->FormatPreview("tester.customers", 1), HasSubstr("(1 row)"));

  wh_->Close();
  const std::string from_file =
      FormatTablePreview(dir_.path() / "warehouse.db", "tester.customers", 10);
  EXPECT_EQ(from_file, preview);
  EXPECT_THROW(FormatTablePreview(dir_.path() / "missing.db", "tester.customers", 10),
               common::NotFoundError);
  EXPECT_THROW(FormatTablePreview(dir_.path() / "warehouse.db", "tester.nope", 10),
               common::NotFoundError);
}

TEST(FormatTextTableTest, AlignsAndShortens) {
  QueryResult result;
  result.columns = {"a", "long_header"};
  result.rows.push_back({std::string("x"), std::nullopt});
  result.rows.push_back({std::string(50, 'y'), std::string("\t")});
  EXPECT_EQ(FormatTextTable(result),
            "a                                        | long_header\n"
            "-----------------------------------------+------------\n"
            "x                                        | NULL\n" +
                std::string(37, 'y') + "... | \\t\n(2 rows)\n");
}

}  // namespace
}  // namespace ac::warehouse
