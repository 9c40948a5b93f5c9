// The result objects of a query execution in its output location, and the parts of a statement
// run that are plain functions (UNLOAD's COPY options, SHOW pattern matching).

#include "emulator/result_objects.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "emulator/statement_runner.h"

namespace ac::emulator {
namespace {

namespace fs = std::filesystem;

class ResultObjectWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = (fs::temp_directory_path() / "result-objects-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    root_ = dir;
    buckets_ = std::make_unique<BucketStore>(root_);
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string Read(const std::string& key) {
    std::ifstream in(buckets_->ObjectPath("results", key), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  fs::path root_;
  std::unique_ptr<BucketStore> buckets_;
};

TEST_F(ResultObjectWriterTest, TextResultAndItsMetadata) {
  ResultObjectWriter writer(*buckets_, "q1", "results", "out/");
  const std::vector<ResultColumn> columns = {
      ResultColumn{"tab_name", ColumnType{"string", 0, 0, false}}};
  EXPECT_EQ(writer.WriteTextResult(columns, {"orders", "recent"}), 14u);
  EXPECT_EQ(Read("out/q1.txt"), "orders\nrecent\n");
  const ResultMetadata metadata = ResultMetadata::FromJson(Read("out/q1.txt.metadata"));
  EXPECT_EQ(metadata.format, ResultMetadata::Format::kText);
  EXPECT_EQ(metadata.rows, 2u);
  ASSERT_EQ(metadata.columns.size(), 1u);
  EXPECT_EQ(metadata.columns[0].name, "tab_name");

  EXPECT_EQ(writer.WriteTextResult({}, {}), 0u);  // a DDL statement's empty result
  EXPECT_EQ(Read("out/q1.txt"), "");
}

TEST_F(ResultObjectWriterTest, UpdateCountMetadataAndManifest) {
  ResultObjectWriter writer(*buckets_, "q2", "results", "");
  writer.WriteUpdateCountMetadata();
  EXPECT_FALSE(buckets_->Stat("results", "q2.csv"));
  const ResultMetadata metadata = ResultMetadata::FromJson(Read("q2.csv.metadata"));
  EXPECT_EQ(metadata.format, ResultMetadata::Format::kNone);
  ASSERT_EQ(metadata.columns.size(), 1u);
  EXPECT_EQ(metadata.columns[0].name, "rows");
  EXPECT_EQ(metadata.columns[0].type.type, "bigint");

  EXPECT_EQ(writer.WriteManifest({"s3://b/u/q2_0.parquet", "s3://b/u/q2_1.parquet"}),
            "s3://results/q2-manifest.csv");
  EXPECT_EQ(Read("q2-manifest.csv"), "s3://b/u/q2_0.parquet\ns3://b/u/q2_1.parquet\n");
  writer.WriteManifest({});
  EXPECT_EQ(Read("q2-manifest.csv"), "");
}

TEST_F(ResultObjectWriterTest, CommitsATempFileUnderThePrefix) {
  ResultObjectWriter writer(*buckets_, "q3", "results", "a/b/");
  const fs::path temp = writer.NewTempPath("q3.csv");
  std::ofstream(temp, std::ios::binary) << "\"x\"\n";
  writer.Commit(temp, "q3.csv");
  EXPECT_FALSE(fs::exists(temp));
  EXPECT_EQ(Read("a/b/q3.csv"), "\"x\"\n");
}

TEST(OutputLocationTest, SplitsBucketAndPrefix) {
  std::string bucket, prefix;
  ASSERT_TRUE(SplitOutputLocation("s3://athena-results/runs", &bucket, &prefix));
  EXPECT_EQ(bucket, "athena-results");
  EXPECT_EQ(prefix, "runs/");
  ASSERT_TRUE(SplitOutputLocation("s3://athena-results/", &bucket, &prefix));
  EXPECT_EQ(prefix, "");
  EXPECT_FALSE(SplitOutputLocation("s3://Bad_Bucket/x/", &bucket, &prefix));
  EXPECT_FALSE(SplitOutputLocation("/tmp/results", &bucket, &prefix));
}

TEST(UnloadCopyOptionsTest, OneFormatEach) {
  UnloadSpec unload;
  unload.format = "PARQUET";
  EXPECT_EQ(UnloadCopyOptions(unload), "FORMAT PARQUET, COMPRESSION 'gzip'");
  unload.compression = "snappy";
  EXPECT_EQ(UnloadCopyOptions(unload), "FORMAT PARQUET, COMPRESSION 'snappy'");
  unload.format = "JSON";
  EXPECT_EQ(UnloadCopyOptions(unload), "FORMAT JSON, COMPRESSION 'gzip'");
  unload.format = "TEXTFILE";
  EXPECT_EQ(UnloadCopyOptions(unload),
            "FORMAT CSV, HEADER false, COMPRESSION 'gzip', DELIMITER '\x01'");
  unload.field_delimiter = "|";
  EXPECT_EQ(UnloadCopyOptions(unload),
            "FORMAT CSV, HEADER false, COMPRESSION 'gzip', DELIMITER '|'");
  unload.format = "ORC";
  EXPECT_FALSE(UnloadCopyOptions(unload));
}

TEST(MatchingNamesTest, HivePatternsIgnoreCase) {
  const std::vector<std::string> names = {"orders", "Order_Lines", "customers", "test_rows"};
  EXPECT_EQ(MatchingNames(names, ""), names);
  EXPECT_EQ(MatchingNames(names, "order*"), (std::vector<std::string>{"orders", "Order_Lines"}));
  EXPECT_EQ(MatchingNames(names, "customers|test_*"),
            (std::vector<std::string>{"customers", "test_rows"}));
  EXPECT_TRUE(MatchingNames(names, "order").empty());
}

}  // namespace
}  // namespace ac::emulator
