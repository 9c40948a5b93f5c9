#include "results/athena_csv.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/error.h"

namespace ac::results {
namespace {

using athena::RowBatch;

using Cell = std::optional<std::string>;
using Row = std::vector<Cell>;
using Rows = std::vector<Row>;

const Cell kNull = std::nullopt;

void AppendRows(const RowBatch& batch, Rows& rows) {
  for (size_t r = 0; r < batch.num_rows(); ++r) {
    Row row;
    for (size_t c = 0; c < batch.num_columns(); ++c) {
      row.push_back(batch.is_null(r, c) ? kNull : Cell(std::string(batch.cell(r, c))));
    }
    rows.push_back(std::move(row));
  }
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

struct Parsed {
  std::vector<std::string> header;
  Rows rows;
  int64_t consumed = 0;
};

/// Parses `csv` fed in chunks cut at `cuts` (ascending offsets), clearing the batch after every
/// Feed (so a partial row left in it would be lost or misaligned).
Parsed ParseCuts(std::string_view csv, const std::vector<size_t>& cuts,
                 AthenaCsvOptions options = {}) {
  AthenaCsvParser parser(options);
  RowBatch batch(options.num_columns);
  Parsed parsed;
  size_t begin = 0;
  auto feed = [&](size_t end) {
    // Each chunk in its own exact-size allocation, so a sanitizer sees any read past its end.
    const size_t size = end - begin;
    std::unique_ptr<char[]> chunk(new char[size == 0 ? 1 : size]);
    std::memcpy(chunk.get(), csv.data() + begin, size);
    const size_t appended = parser.Feed(std::string_view(chunk.get(), size), batch);
    EXPECT_EQ(appended, batch.num_rows());
    EXPECT_EQ(batch.num_cells(), batch.num_rows() * batch.num_columns());
    AppendRows(batch, parsed.rows);
    batch.Clear();
    begin = end;
  };
  for (size_t cut : cuts) feed(cut);
  feed(csv.size());
  parser.Finish(batch);
  AppendRows(batch, parsed.rows);
  parsed.header = parser.header();
  parsed.consumed = parser.consumed_record_bytes();
  return parsed;
}

Parsed Parse(std::string_view csv, AthenaCsvOptions options = {}) {
  return ParseCuts(csv, {}, options);
}

AthenaCsvOptions Columns(size_t n) {
  AthenaCsvOptions options;
  options.num_columns = n;
  return options;
}

TEST(AthenaCsvTest, NullIsUnquotedEmptyAndEmptyStringIsQuoted) {
  const Parsed p = Parse("\"a\",\"b\",\"c\"\n\"x\",,\"\"\n,\"\",\n", Columns(3));
  EXPECT_THAT(p.header, testing::ElementsAre("a", "b", "c"));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0], (Row{"x", kNull, ""}));
  EXPECT_EQ(p.rows[1], (Row{kNull, "", kNull}));
}

TEST(AthenaCsvTest, DoubledQuotesAndCommasInsideValues) {
  const Parsed p = Parse(
      "\"v\",\"w\"\n\"\"\"Mozilla/5.0 (X11, Linux)\"\"\",\"a\"\"b\"\"\"\"c\"\n\"\"\"\",\",,,\"\n",
      Columns(2));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0], (Row{"\"Mozilla/5.0 (X11, Linux)\"", "a\"b\"\"c"}));
  EXPECT_EQ(p.rows[1], (Row{"\"", ",,,"}));
}

TEST(AthenaCsvTest, NewlinesAndCrLfInsideValuesArePreserved) {
  const Parsed p =
      Parse("\"a\",\"b\"\n\"line1\nline2\",\"x\r\ny\r\"\n\"\n\",\"\r\n\"\n", Columns(2));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0], (Row{"line1\nline2", "x\r\ny\r"}));
  EXPECT_EQ(p.rows[1], (Row{"\n", "\r\n"}));
}

TEST(AthenaCsvTest, CrLfBetweenRecords) {
  const Parsed p = Parse("\"a\",\"b\"\r\n\"1\",\"2\"\r\n\"3\",\r\n,\r\n", Columns(2));
  EXPECT_THAT(p.header, testing::ElementsAre("a", "b"));
  ASSERT_EQ(p.rows.size(), 3u);
  EXPECT_EQ(p.rows[0], (Row{"1", "2"}));
  EXPECT_EQ(p.rows[1], (Row{"3", kNull}));
  EXPECT_EQ(p.rows[2], (Row{kNull, kNull}));
}

TEST(AthenaCsvTest, Unicode) {
  const Parsed p = Parse("\"名前\",\"emoji\"\n\"Zoë Ñúñez\",\"😀,\"\"🚀\"\"\"\n", Columns(2));
  EXPECT_THAT(p.header, testing::ElementsAre("名前", "emoji"));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0], (Row{"Zoë Ñúñez", "😀,\"🚀\""}));
}

TEST(AthenaCsvTest, SingleColumnNullRowsAreEmptyLines) {
  const Parsed p = Parse("\"c\"\n\"x\"\n\n\"\"\n\n", Columns(1));
  ASSERT_EQ(p.rows.size(), 4u);
  EXPECT_EQ(p.rows[0], (Row{"x"}));
  EXPECT_EQ(p.rows[1], (Row{kNull}));
  EXPECT_EQ(p.rows[2], (Row{""}));
  EXPECT_EQ(p.rows[3], (Row{kNull}));
}

TEST(AthenaCsvTest, HeaderOnlyHasNoRows) {
  const Parsed p = Parse("\"a\",\"b\"\n", Columns(2));
  EXPECT_THAT(p.header, testing::ElementsAre("a", "b"));
  EXPECT_TRUE(p.rows.empty());
  EXPECT_EQ(p.consumed, 8);
}

TEST(AthenaCsvTest, EmptyFileHasNoHeaderAndNoRows) {
  AthenaCsvParser parser(Columns(3));
  RowBatch batch(3);
  EXPECT_EQ(parser.Feed("", batch), 0u);
  EXPECT_EQ(parser.Finish(batch), 0u);
  EXPECT_FALSE(parser.header_done());
  EXPECT_TRUE(parser.header().empty());
  EXPECT_EQ(batch.num_rows(), 0u);
  EXPECT_EQ(parser.consumed_record_bytes(), 0);
}

TEST(AthenaCsvTest, OneRow) {
  const Parsed p = Parse("\"id\"\n\"1356206\"\n", Columns(1));
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0], (Row{"1356206"}));
}

TEST(AthenaCsvTest, FinalRecordWithoutNewline) {
  const std::string csv = "\"a\",\"b\"\n\"1\",\"2\"\n\"3\",";
  const Parsed p = Parse(csv, Columns(2));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[1], (Row{"3", kNull}));
  EXPECT_EQ(p.consumed, static_cast<int64_t>(csv.size()));
  // A header without newline and nothing else.
  const Parsed h = Parse("\"a\",\"b\"", Columns(2));
  EXPECT_THAT(h.header, testing::ElementsAre("a", "b"));
  EXPECT_TRUE(h.rows.empty());
}

TEST(AthenaCsvTest, ColumnCountFromHeader) {
  AthenaCsvParser parser(AthenaCsvOptions{});
  RowBatch batch;  // 0 columns: reset to the header's count
  EXPECT_EQ(parser.Feed("\"a\",\"b\",\"c\"\n\"1\",\"2\",\"3\"\n", batch), 1u);
  EXPECT_EQ(parser.num_columns(), 3u);
  EXPECT_EQ(batch.num_columns(), 3u);
  EXPECT_EQ(batch.cell(0, 2), "3");
}

TEST(AthenaCsvTest, BatchWithOtherColumnCountIsABug) {
  AthenaCsvParser parser(Columns(2));
  RowBatch batch(3);
  EXPECT_THROW(parser.Feed("\"a\",\"b\"\n\"1\",\"2\"\n", batch), common::InternalError);
}

TEST(AthenaCsvTest, UnquotedTextIsTolerated) {
  const Parsed p = Parse("a,\"b\"\n12,x y\r\n,z\n", Columns(2));
  EXPECT_THAT(p.header, testing::ElementsAre("a", "b"));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0], (Row{"12", "x y"}));
  EXPECT_EQ(p.rows[1], (Row{kNull, "z"}));
}

TEST(AthenaCsvTest, NoHeaderOption) {
  AthenaCsvOptions options = Columns(2);
  options.has_header = false;
  const Parsed p = Parse("\"1\",\"2\"\n", options);
  EXPECT_TRUE(p.header.empty());
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0], (Row{"1", "2"}));
  AthenaCsvOptions no_columns;
  no_columns.has_header = false;
  EXPECT_THROW(AthenaCsvParser{no_columns}, common::InternalError);
}

/// Expects ProtocolError whose message contains every one of `parts`.
void ExpectProtocolError(std::string_view csv, size_t columns,
                         const std::vector<std::string>& parts) {
  try {
    Parse(csv, Columns(columns));
    ADD_FAILURE() << "no error for: " << csv;
  } catch (const common::ProtocolError& e) {
    for (const auto& part : parts) EXPECT_THAT(e.what(), testing::HasSubstr(part)) << csv;
  }
}

TEST(AthenaCsvTest, WrongFieldCounts) {
  ExpectProtocolError("\"a\",\"b\"\n\"1\",\"2\"\n\"3\"\n", 2,
                      {"wrong number of fields (1, expected 2)", "row 2", "record at byte 16"});
  ExpectProtocolError("\"a\",\"b\"\n\"1\",\"2\",\"3\"\n", 2,
                      {"wrong number of fields (3, expected 2)", "row 1", "record at byte 8"});
  // An empty line is one NULL field: a row only for single-column results.
  ExpectProtocolError("\"a\",\"b\"\n\n", 2, {"wrong number of fields (1, expected 2)"});
  ExpectProtocolError("\"a\",\"b\",\"c\"\n", 2, {"header has 3 columns, expected 2"});
}

TEST(AthenaCsvTest, StrayQuotes) {
  ExpectProtocolError("\"a\"\n\"x\"y\"\n", 1,
                      {"unexpected character after a closing quote", "row 1", "error at byte 7"});
  ExpectProtocolError("\"a\"\nx\"y\n", 1, {"quote inside an unquoted field", "row 1"});
  ExpectProtocolError("\"a\"x\n", 1, {"unexpected character after a closing quote", "the header"});
}

TEST(AthenaCsvTest, OpenQuoteAtEof) {
  ExpectProtocolError("\"a\"\n\"1\"\n\"unterminated\n", 1,
                      {"quote still open at end of file", "row 2", "record at byte 8"});
  ExpectProtocolError("\"a", 1, {"quote still open", "the header"});
}

TEST(AthenaCsvTest, ErrorKeepsOnlyCompleteRowsInBatch) {
  AthenaCsvParser parser(Columns(2));
  RowBatch batch(2);
  EXPECT_THROW(parser.Feed("\"a\",\"b\"\n\"1\",\"2\"\n\"3\",\"4\",\"5\"\n", batch),
               common::ProtocolError);
  EXPECT_EQ(batch.num_rows(), 1u);
  EXPECT_EQ(batch.num_cells(), 2u);
  EXPECT_EQ(parser.consumed_record_bytes(), 16);
}

TEST(AthenaCsvTest, RecordLongerThanLimitFails) {
  AthenaCsvOptions options = Columns(1);
  options.max_record_bytes = 16;
  AthenaCsvParser parser(options);
  RowBatch batch(1);
  parser.Feed("\"a\"\n\"0123456789", batch);
  EXPECT_THROW(parser.Feed("0123456789", batch), common::ProtocolError);
}

TEST(AthenaCsvTest, ChunksCutInsideEveryConstruct) {
  // Cut between a quote and its double, between \r and \n, inside a quoted newline, etc.
  const std::string csv = "\"h1\",\"h2\"\r\n\"a\"\"b\",\"c\r\nd\"\r\n,\r\n\"\",\"\"\"\"\n";
  const Rows expected = {{"a\"b", "c\r\nd"}, {kNull, kNull}, {"", "\""}};
  for (size_t cut = 0; cut <= csv.size(); ++cut) {
    const Parsed p = ParseCuts(csv, {cut}, Columns(2));
    EXPECT_EQ(p.rows, expected) << "cut at " << cut;
    EXPECT_THAT(p.header, testing::ElementsAre("h1", "h2"));
  }
  std::vector<size_t> every_byte;
  for (size_t i = 1; i < csv.size(); ++i) every_byte.push_back(i);
  EXPECT_EQ(ParseCuts(csv, every_byte, Columns(2)).rows, expected);
}

TEST(AthenaCsvTest, FeedRowsBoundsTheBatch) {
  std::string csv = "\"n\"\n";
  for (int i = 0; i < 10; ++i) csv.append(Quote(std::to_string(i))).append("\n");
  AthenaCsvParser parser(Columns(1));
  RowBatch batch(1);
  std::string_view rest = csv;
  Rows rows;
  while (!rest.empty()) {
    const size_t used = parser.FeedRows(rest, batch, 3);
    EXPECT_LE(batch.num_rows(), 3u);
    AppendRows(batch, rows);
    batch.Clear();
    rest.remove_prefix(used);
  }
  parser.Finish(batch);
  ASSERT_EQ(rows.size(), 10u);
  EXPECT_EQ(rows[9], (Row{"9"}));
  EXPECT_EQ(parser.rows(), 10);
}

// ---------------------------------------------------------------------------------------------
// Property-style: random Athena CSV, split anywhere, always the same rows.

/// Writes rows the way Athena does; `crlf` ends records with \r\n instead of \n.
std::string WriteCsv(const std::vector<std::string>& header, const Rows& rows, bool crlf) {
  std::string csv;
  const char* eol = crlf ? "\r\n" : "\n";
  for (size_t c = 0; c < header.size(); ++c) csv.append(c ? "," : "").append(Quote(header[c]));
  csv += eol;
  for (const Row& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) {
      if (c) csv += ',';
      if (row[c]) csv += Quote(*row[c]);
    }
    csv += eol;
  }
  return csv;
}

Rows RandomRows(std::mt19937_64& rng, size_t num_rows, size_t num_columns) {
  static const std::vector<std::string> kPieces = {
      "a", "xyz", "12345", "\"", "\"\"", ",", "\n", "\r\n", "\r", " ", "é", "名", "😀", "-3.14"};
  Rows rows;
  for (size_t r = 0; r < num_rows; ++r) {
    Row row;
    for (size_t c = 0; c < num_columns; ++c) {
      const uint64_t kind = rng() % 8;
      if (kind == 0) {
        row.push_back(kNull);
      } else if (kind == 1) {
        row.push_back("");
      } else {
        std::string value;
        const size_t pieces = 1 + rng() % 6;
        for (size_t i = 0; i < pieces; ++i) value += kPieces[rng() % kPieces.size()];
        row.push_back(value);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> Header(size_t n) {
  std::vector<std::string> header;
  for (size_t c = 0; c < n; ++c) header.push_back("col" + std::to_string(c));
  return header;
}

TEST(AthenaCsvPropertyTest, SmallInputsSplitAtEveryPosition) {
  std::mt19937_64 rng(20240611);
  for (size_t trial = 0; trial < 40; ++trial) {
    const size_t columns = 1 + trial % 4;
    const Rows rows = RandomRows(rng, trial % 7, columns);
    const std::string csv = WriteCsv(Header(columns), rows, trial % 5 == 4);
    for (size_t a = 0; a <= csv.size(); ++a) {
      const Parsed p = ParseCuts(csv, {a}, Columns(columns));
      ASSERT_EQ(p.rows, rows) << "trial " << trial << " cut " << a;
      ASSERT_EQ(p.header, Header(columns));
      ASSERT_EQ(p.consumed, static_cast<int64_t>(csv.size()));
    }
    // Two cuts everywhere for the shorter inputs.
    if (csv.size() <= 120) {
      for (size_t a = 0; a <= csv.size(); ++a) {
        for (size_t b = a; b <= csv.size(); ++b) {
          ASSERT_EQ(ParseCuts(csv, {a, b}, Columns(columns)).rows, rows)
              << "trial " << trial << " cuts " << a << "," << b;
        }
      }
    }
  }
}

TEST(AthenaCsvPropertyTest, LargeInputsSplitAtRandomPositions) {
  std::mt19937_64 rng(77);
  for (size_t trial = 0; trial < 6; ++trial) {
    const size_t columns = 1 + trial * 2;
    const Rows rows = RandomRows(rng, 3000, columns);
    const std::string csv = WriteCsv(Header(columns), rows, trial == 3);
    ASSERT_EQ(Parse(csv, Columns(columns)).rows, rows);
    for (size_t round = 0; round < 20; ++round) {
      std::vector<size_t> cuts;
      size_t at = 0;
      const size_t max_step = round % 2 == 0 ? 16 : 4096;
      while (true) {
        at += 1 + rng() % max_step;
        if (at >= csv.size()) break;
        cuts.push_back(at);
      }
      ASSERT_EQ(ParseCuts(csv, cuts, Columns(columns)).rows, rows)
          << "trial " << trial << " round " << round;
    }
  }
}

TEST(AthenaCsvPropertyTest, ResumeFromConsumedRecordBytesGivesTheRest) {
  std::mt19937_64 rng(4242);
  for (size_t trial = 0; trial < 30; ++trial) {
    const size_t columns = 1 + trial % 3;
    const Rows rows = RandomRows(rng, 1 + rng() % 40, columns);
    const std::string csv = WriteCsv(Header(columns), rows, false);
    for (size_t stop = 0; stop <= csv.size(); stop += 1 + rng() % 7) {
      // First run: read up to `stop`, checkpoint.
      AthenaCsvParser first(Columns(columns));
      RowBatch batch(columns);
      Rows got;
      first.Feed(std::string_view(csv).substr(0, stop), batch);
      AppendRows(batch, got);
      const int64_t offset = first.consumed_record_bytes();
      ASSERT_EQ(first.rows(), static_cast<int64_t>(got.size()));
      // Second run: a fresh parser from the checkpoint, no header.
      AthenaCsvOptions options = Columns(columns);
      options.has_header = offset == 0;  // nothing consumed yet, not even the header
      options.start_offset = offset;
      options.start_row = first.rows();
      const Parsed rest =
          ParseCuts(std::string_view(csv).substr(static_cast<size_t>(offset)), {}, options);
      got.insert(got.end(), rest.rows.begin(), rest.rows.end());
      ASSERT_EQ(got, rows) << "trial " << trial << " stop " << stop;
      ASSERT_EQ(rest.consumed, static_cast<int64_t>(csv.size()));
    }
  }
}

TEST(AthenaCsvPropertyTest, ErrorsAreFoundWhateverTheSplit) {
  const std::vector<std::pair<std::string, size_t>> bad = {
      {"\"a\",\"b\"\n\"1\",\"2\"\n\"3\"\n", 2},
      {"\"a\"\n\"x\"y\"\n", 1},
      {"\"a\"\n\"1\"\n\"open\n\n", 1},
      {"\"a\",\"b\"\n\"1\",\"2\",\"3\"\n", 2},
      {"\"a\"\n\"x\"\r\"\n", 1},
      {"\"a\",\"b\"\n\"1\",\"2\"\n\"3\",\"4\"", 3},
  };
  for (const auto& [csv, columns] : bad) {
    std::string first_message;
    for (size_t cut = 0; cut <= csv.size(); ++cut) {
      try {
        ParseCuts(csv, {cut}, Columns(columns));
        ADD_FAILURE() << "no error for " << csv << " cut " << cut;
      } catch (const common::ProtocolError& e) {
        // The same message (record, position) wherever the input was split.
        if (cut == 0) first_message = e.what();
        EXPECT_EQ(e.what(), first_message) << csv << " cut " << cut;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

TEST(AthenaTextResultTest, SingleColumnKeepsTabs) {
  RowBatch batch(1);
  EXPECT_EQ(ParseAthenaTextResult("id                  \tbigint              \t\n\n# Partition\n",
                                  1, batch),
            3u);
  EXPECT_EQ(batch.cell(0, 0), "id                  \tbigint              \t");
  EXPECT_FALSE(batch.is_null(1, 0));
  EXPECT_EQ(batch.cell(1, 0), "");
  EXPECT_EQ(batch.cell(2, 0), "# Partition");
}

TEST(AthenaTextResultTest, SplitsIntoColumnsAndPadsWithNull) {
  RowBatch batch;
  EXPECT_EQ(ParseAthenaTextResult("a\tb\tc\td\r\nx\n\ny\tz", 3, batch), 4u);
  ASSERT_EQ(batch.num_columns(), 3u);
  Rows rows;
  AppendRows(batch, rows);
  EXPECT_EQ(rows[0], (Row{"a", "b", "c\td"}));
  EXPECT_EQ(rows[1], (Row{"x", kNull, kNull}));
  EXPECT_EQ(rows[2], (Row{"", kNull, kNull}));
  EXPECT_EQ(rows[3], (Row{"y", "z", kNull}));
}

TEST(AthenaTextResultTest, EmptyTextHasNoRows) {
  RowBatch batch(2);
  EXPECT_EQ(ParseAthenaTextResult("", 2, batch), 0u);
  EXPECT_EQ(batch.num_cells(), 0u);
  EXPECT_THROW(ParseAthenaTextResult("x", 0, batch), common::InternalError);
}

}  // namespace
}  // namespace ac::results
