#include "emulator/sql_translate.h"

#include <algorithm>
#include <cctype>
#include <tuple>

#include "common/sql_quote.h"
#include "common/strings.h"

namespace ac::emulator {
namespace {

using common::Lower;
using common::QuoteIdentifier;
using common::QuoteLiteral;
using common::Upper;
using Kind = SqlToken::Kind;

bool IsWordStart(unsigned char c) {
  return std::isalpha(c) || c == '_' || c >= 0x80;
}
bool IsWordChar(unsigned char c) {
  return std::isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

// Unquotes a string literal token ('it''s' -> it's).
std::string StringValue(const SqlToken& t) {
  std::string out;
  std::string_view body = t.text.substr(1, t.text.size() >= 2 ? t.text.size() - 2 : 0);
  for (size_t i = 0; i < body.size(); ++i) {
    out.push_back(body[i]);
    if (body[i] == '\'' && i + 1 < body.size() && body[i + 1] == '\'') ++i;
  }
  return out;
}

// Identifier text of a word / quoted / backtick token (words lower-cased like Glue does).
std::string IdentValue(const SqlToken& t) {
  if (t.kind == Kind::kQuotedIdent || t.kind == Kind::kBacktickIdent) {
    const char q = t.text[0];
    std::string out;
    std::string_view body = t.text.substr(1, t.text.size() >= 2 ? t.text.size() - 2 : 0);
    for (size_t i = 0; i < body.size(); ++i) {
      out.push_back(body[i]);
      if (body[i] == q && i + 1 < body.size() && body[i + 1] == q) ++i;
    }
    return Lower(out);
  }
  return Lower(t.text);
}

bool IsIdent(const SqlToken& t) {
  return t.kind == Kind::kWord || t.kind == Kind::kQuotedIdent || t.kind == Kind::kBacktickIdent;
}

SqlError SyntaxError(std::string_view sql, size_t offset, const std::string& what) {
  auto [line, col] = LineColumnOf(sql, offset);
  return SqlError("SYNTAX_ERROR", 1006,
                  "line " + std::to_string(line) + ":" + std::to_string(col) + ": " + what);
}

// A cursor over the significant tokens (no spaces/comments) of a statement.
class TokenCursor {
 public:
  TokenCursor(std::string_view sql, std::vector<SqlToken> tokens) : sql_(sql) {
    for (auto& t : tokens) {
      if (t.kind != Kind::kSpace && t.kind != Kind::kComment) tokens_.push_back(t);
    }
  }
  bool AtEnd() const { return pos_ >= tokens_.size(); }
  const SqlToken* Peek(size_t ahead = 0) const {
    return pos_ + ahead < tokens_.size() ? &tokens_[pos_ + ahead] : nullptr;
  }
  const SqlToken& Next() {
    if (AtEnd()) throw SyntaxError(sql_, sql_.size(), "mismatched input '<EOF>'");
    return tokens_[pos_++];
  }
  bool TryWord(std::string_view upper) {
    if (!AtEnd() && tokens_[pos_].IsWord(upper)) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool TryPunct(std::string_view p) {
    if (!AtEnd() && tokens_[pos_].IsPunct(p)) {
      ++pos_;
      return true;
    }
    return false;
  }
  void ExpectWord(std::string_view upper) {
    if (!TryWord(upper)) Fail("Expecting: '" + std::string(upper) + "'");
  }
  void ExpectPunct(std::string_view p) {
    if (!TryPunct(p)) Fail("Expecting: '" + std::string(p) + "'");
  }
  [[noreturn]] void Fail(const std::string& expecting) const {
    if (AtEnd()) throw SyntaxError(sql_, sql_.size(), "mismatched input '<EOF>'. " + expecting);
    throw SyntaxError(sql_, tokens_[pos_].offset,
                      "mismatched input '" + std::string(tokens_[pos_].text) + "'. " + expecting);
  }
  std::string Ident() {
    if (AtEnd() || !IsIdent(tokens_[pos_])) Fail("Expecting: <identifier>");
    return IdentValue(tokens_[pos_++]);
  }
  // [catalog.]database.table or table -> (database, table)
  std::pair<std::string, std::string> QualifiedName() {
    std::vector<std::string> parts{Ident()};
    while (TryPunct(".")) parts.push_back(Ident());
    if (parts.size() > 3) Fail("Too many dots in table name");
    if (parts.size() == 1) return {"", parts[0]};
    return {parts[parts.size() - 2], parts.back()};
  }
  std::string StringLiteral() {
    if (AtEnd() || tokens_[pos_].kind != Kind::kString) Fail("Expecting: <string>");
    return StringValue(tokens_[pos_++]);
  }
  // Offset of the current token (or end of SQL).
  size_t Offset() const { return AtEnd() ? sql_.size() : tokens_[pos_].offset; }
  // Skips a balanced parenthesised group starting at '('; returns the inner text.
  std::string_view SkipParens() {
    const size_t open = Offset();
    ExpectPunct("(");
    int depth = 1;
    while (!AtEnd()) {
      const SqlToken& t = tokens_[pos_++];
      if (t.IsPunct("(")) ++depth;
      if (t.IsPunct(")") && --depth == 0) return sql_.substr(open + 1, t.offset - open - 1);
    }
    Fail("Expecting: ')'");
  }
  std::string_view Rest() const { return sql_.substr(Offset()); }
  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }

 private:
  std::string_view sql_;
  std::vector<SqlToken> tokens_;
  size_t pos_ = 0;
};

// ---- type translation ------------------------------------------------------------------------

class TypeParser {
 public:
  explicit TypeParser(std::string_view text) : text_(text) {
    for (auto& t : TokenizeSql(text)) {
      if (t.kind != Kind::kSpace && t.kind != Kind::kComment) tokens_.push_back(t);
    }
  }

  std::string Parse() {
    std::string out = ParseType();
    if (pos_ < tokens_.size()) {
      // Unknown trailing words: keep them (DuckDB reports the problem).
      out += " ";
      out += text_.substr(tokens_[pos_].offset);
    }
    return out;
  }

 private:
  const SqlToken* Peek() const { return pos_ < tokens_.size() ? &tokens_[pos_] : nullptr; }
  bool TryWord(std::string_view upper) {
    if (pos_ < tokens_.size() && tokens_[pos_].IsWord(upper)) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool TryPunct(std::string_view p) {
    if (pos_ < tokens_.size() && tokens_[pos_].IsPunct(p)) {
      ++pos_;
      return true;
    }
    return false;
  }
  // Skips "(n[, m])" after a type name, returning the numbers.
  std::vector<std::string> Params() {
    std::vector<std::string> params;
    if (!TryPunct("(")) return params;
    while (pos_ < tokens_.size() && !tokens_[pos_].IsPunct(")")) {
      if (tokens_[pos_].kind == Kind::kNumber) params.emplace_back(tokens_[pos_].text);
      ++pos_;
    }
    TryPunct(")");
    return params;
  }

  std::string ParseType() {
    const SqlToken* t = Peek();
    if (t == nullptr) return "";
    if (!IsIdent(*t)) {
      ++pos_;
      return std::string(t->text);
    }
    ++pos_;
    const std::string word = Lower(t->text);
    if (word == "array") {
      const bool angle = TryPunct("<");
      if (!angle) TryPunct("(");
      std::string inner = ParseType();
      if (!TryPunct(angle ? ">" : ")")) TryPunct(">>");
      return inner + "[]";
    }
    if (word == "map") {
      const bool angle = TryPunct("<");
      if (!angle) TryPunct("(");
      std::string key = ParseType();
      TryPunct(",");
      std::string value = ParseType();
      TryPunct(angle ? ">" : ")");
      return "MAP(" + key + ", " + value + ")";
    }
    if (word == "row" || word == "struct") {
      const bool angle = TryPunct("<");
      if (!angle) TryPunct("(");
      std::string out = "STRUCT(";
      bool first = true;
      while (pos_ < tokens_.size() && !tokens_[pos_].IsPunct(angle ? ">" : ")")) {
        if (!first) out += ", ";
        first = false;
        const SqlToken& name = tokens_[pos_++];
        out += QuoteIdentifier(IdentValue(name));
        TryPunct(":");
        out += " ";
        out += ParseType();
        TryPunct(",");
      }
      TryPunct(angle ? ">" : ")");
      return out + ")";
    }
    if (word == "timestamp" || word == "time") {
      Params();
      bool zone = false;
      if (TryWord("WITH")) {
        zone = true;
        TryWord("TIME");
        TryWord("ZONE");
      } else if (TryWord("WITHOUT")) {
        TryWord("TIME");
        TryWord("ZONE");
      }
      if (word == "timestamp") return zone ? "TIMESTAMPTZ" : "TIMESTAMP";
      return zone ? "TIMETZ" : "TIME";
    }
    if (word == "interval") {
      if (TryWord("YEAR") || TryWord("DAY") || TryWord("MONTH") || TryWord("HOUR") ||
          TryWord("MINUTE") || TryWord("SECOND")) {
        if (TryWord("TO")) {
          const SqlToken* unit = Peek();
          if (unit != nullptr && unit->kind == Kind::kWord) ++pos_;
        }
      }
      return "INTERVAL";
    }
    if (word == "double") {
      TryWord("PRECISION");
      return "DOUBLE";
    }
    if (word == "decimal" || word == "numeric" || word == "dec") {
      auto p = Params();
      if (p.empty()) return "DECIMAL(10,0)";
      if (p.size() == 1) return "DECIMAL(" + p[0] + ",0)";
      return "DECIMAL(" + p[0] + "," + p[1] + ")";
    }
    if (word == "char" || word == "varchar" || word == "string" || word == "character" ||
        word == "ipaddress") {
      Params();
      if (word == "character") TryWord("VARYING");
      return "VARCHAR";
    }
    if (word == "varbinary" || word == "binary") {
      Params();
      return "BLOB";
    }
    if (word == "int" || word == "integer") return "INTEGER";
    if (word == "tinyint" || word == "smallint" || word == "bigint" || word == "boolean" ||
        word == "date" || word == "real" || word == "float" || word == "uuid" || word == "json") {
      return Upper(word);
    }
    // Unknown: keep the name and its parameters as written.
    std::string out = Upper(t->text);
    auto p = Params();
    if (!p.empty()) {
      out += "(";
      for (size_t i = 0; i < p.size(); ++i) out += (i ? "," : "") + p[i];
      out += ")";
    }
    return out;
  }

  std::string_view text_;
  std::vector<SqlToken> tokens_;
  size_t pos_ = 0;
};

// Normalises a declared type text: lower case, single spaces, no spaces around punctuation.
std::string NormalizeTypeText(std::string_view text) {
  std::string out;
  for (const auto& t : TokenizeSql(text)) {
    if (t.kind == Kind::kSpace || t.kind == Kind::kComment) {
      if (!out.empty() && IsWordChar(static_cast<unsigned char>(out.back()))) out.push_back(' ');
      continue;
    }
    if (t.kind == Kind::kPunct && !out.empty() && out.back() == ' ') out.pop_back();
    out += Lower(t.text);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// ---- query text translation ------------------------------------------------------------------

bool LiteralHasZone(std::string_view value) {
  // 'YYYY-MM-DD HH:MM:SS[.fff] <zone>' or with +hh:mm / Z suffix
  if (value.size() <= 10) return false;
  std::string_view time = value.substr(10);
  for (size_t i = 1; i < time.size(); ++i) {
    const char c = time[i];
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '+' || c == '-') return true;
  }
  return false;
}

std::string IntervalLiteral(std::string_view value, std::string_view from, std::string_view to) {
  std::string v(value);
  const bool negative = !v.empty() && v[0] == '-';
  if (negative) v.erase(0, 1);
  std::string out;
  if (from == "YEAR" && to == "MONTH") {
    const size_t dash = v.find('-');
    std::string years = dash == std::string::npos ? v : v.substr(0, dash);
    std::string months = dash == std::string::npos ? "0" : v.substr(dash + 1);
    out = years + " years " + months + " months";
  } else if (from == "DAY" && to == "SECOND") {
    const size_t space = v.find(' ');
    std::string days = space == std::string::npos ? v : v.substr(0, space);
    std::string time = space == std::string::npos ? "00:00:00" : v.substr(space + 1);
    out = days + " days " + time;
  } else {
    out = v;
  }
  return negative ? "(-INTERVAL " + QuoteLiteral(out) + ")" : "INTERVAL " + QuoteLiteral(out);
}

// Index of the next significant token at or after i (tokens.size() if none).
size_t NextSignificant(const std::vector<SqlToken>& tokens, size_t i) {
  while (i < tokens.size() &&
         (tokens[i].kind == Kind::kSpace || tokens[i].kind == Kind::kComment)) {
    ++i;
  }
  return i;
}

size_t PrevSignificant(const std::vector<SqlToken>& tokens, size_t i) {
  while (i > 0) {
    --i;
    if (tokens[i].kind != Kind::kSpace && tokens[i].kind != Kind::kComment) return i;
  }
  return tokens.size();
}

// MySQL-style format (Trino date_format/date_parse) -> strftime/strptime format.
std::string MySqlFormatToStrftime(std::string_view f) {
  std::string out;
  for (size_t i = 0; i < f.size(); ++i) {
    if (f[i] != '%' || i + 1 >= f.size()) {
      out += f[i];
      continue;
    }
    const char c = f[++i];
    switch (c) {
      case 'i':
        out += "%M";
        break;
      case 's':
        out += "%S";
        break;
      case 'M':
        out += "%B";
        break;
      case 'W':
        out += "%A";
        break;
      case 'T':
        out += "%H:%M:%S";
        break;
      case 'c':
        out += "%-m";
        break;
      case 'e':
        out += "%-d";
        break;
      case 'k':
        out += "%-H";
        break;
      case 'h':
        out += "%I";
        break;
      case 'l':
        out += "%-I";
        break;
      case 'r':
        out += "%I:%M:%S %p";
        break;
      case 'v':
        out += "%V";
        break;
      case 'x':
        out += "%G";
        break;
      default:
        out += '%';
        out += c;
    }
  }
  return out;
}

std::string Translate(std::string_view sql) {
  const std::vector<SqlToken> tokens = TokenizeSql(sql);
  std::string out;
  out.reserve(sql.size() + 16);
  int depth = 0;
  std::vector<int> cast_depths;    // paren depth inside each open CAST(
  std::vector<int> format_depths;  // paren depth inside date_format( / date_parse(
  for (size_t i = 0; i < tokens.size(); ++i) {
    const SqlToken& t = tokens[i];
    switch (t.kind) {
      case Kind::kBacktickIdent:
        out += QuoteIdentifier(IdentValue(t));
        continue;
      case Kind::kPunct:
        if (t.text == "(") ++depth;
        if (t.text == ")") {
          if (!cast_depths.empty() && cast_depths.back() == depth) cast_depths.pop_back();
          if (!format_depths.empty() && format_depths.back() == depth) format_depths.pop_back();
          --depth;
        }
        out += t.text;
        continue;
      case Kind::kWord: {
        const size_t next = NextSignificant(tokens, i + 1);
        const bool next_is_dot = next < tokens.size() && tokens[next].IsPunct(".");
        const size_t prev = PrevSignificant(tokens, i);
        const bool prev_is_dot = prev < tokens.size() && tokens[prev].IsPunct(".");
        if (t.IsWord("DEFAULT") && (next_is_dot || prev_is_dot)) {
          out += "\"default\"";
          continue;
        }
        if ((t.text == "X" || t.text == "x") && i + 1 < tokens.size() &&
            tokens[i + 1].kind == Kind::kString) {
          std::string hex;
          for (char c : StringValue(tokens[i + 1])) {
            if (!std::isspace(static_cast<unsigned char>(c))) hex.push_back(c);
          }
          out += "from_hex(" + QuoteLiteral(hex) + ")";
          ++i;
          continue;
        }
        if ((t.IsWord("CAST") || t.IsWord("TRY_CAST")) && next < tokens.size() &&
            tokens[next].IsPunct("(")) {
          out += t.text;
          for (size_t k = i + 1; k < next; ++k) out += tokens[k].text;
          out += "(";
          ++depth;
          cast_depths.push_back(depth);
          i = next;
          continue;
        }
        if (t.IsWord("AS") && !cast_depths.empty() && cast_depths.back() == depth) {
          // The type runs to the ')' closing this CAST.
          size_t end = i + 1;
          int d = 0;
          while (end < tokens.size()) {
            if (tokens[end].IsPunct("(")) ++d;
            if (tokens[end].IsPunct(")")) {
              if (d == 0) break;
              --d;
            }
            ++end;
          }
          const size_t type_begin = tokens[i].offset + tokens[i].text.size();
          const size_t type_end = end < tokens.size() ? tokens[end].offset : sql.size();
          out += "AS ";
          out += TranslateTypeText(sql.substr(type_begin, type_end - type_begin));
          i = end - 1;
          continue;
        }
        if ((t.IsWord("TIMESTAMP") || t.IsWord("TIME")) && next < tokens.size() &&
            tokens[next].kind == Kind::kString && !prev_is_dot) {
          const std::string value = StringValue(tokens[next]);
          if (t.IsWord("TIMESTAMP")) {
            out += LiteralHasZone(value) ? "TIMESTAMPTZ " : "TIMESTAMP ";
          } else {
            out += "TIME ";
          }
          out += tokens[next].text;
          i = next;
          continue;
        }
        if (t.IsWord("INTERVAL") && next < tokens.size() && tokens[next].kind == Kind::kString) {
          const size_t unit1 = NextSignificant(tokens, next + 1);
          const size_t to = NextSignificant(tokens, unit1 + 1);
          const size_t unit2 = NextSignificant(tokens, to + 1);
          if (unit2 < tokens.size() && tokens[to].IsWord("TO") &&
              tokens[unit1].kind == Kind::kWord && tokens[unit2].kind == Kind::kWord) {
            out += IntervalLiteral(StringValue(tokens[next]), Upper(tokens[unit1].text),
                                   Upper(tokens[unit2].text));
            i = unit2;
            continue;
          }
        }
        if ((t.IsWord("DATE_FORMAT") || t.IsWord("DATE_PARSE") || t.IsWord("ARRAY_JOIN")) &&
            next < tokens.size() && tokens[next].IsPunct("(")) {
          if (t.IsWord("ARRAY_JOIN")) {
            out += "array_to_string";
            continue;
          }
          out += t.IsWord("DATE_FORMAT") ? "strftime" : "strptime";
          for (size_t k = i + 1; k < next; ++k) out += tokens[k].text;
          out += "(";
          ++depth;
          format_depths.push_back(depth);
          i = next;
          continue;
        }
        if (t.IsWord("VARBINARY")) {
          out += "BLOB";
          continue;
        }
        out += t.text;
        continue;
      }
      case Kind::kString:
        if (!format_depths.empty() && format_depths.back() == depth) {
          const size_t prev = PrevSignificant(tokens, i);
          if (prev < tokens.size() && tokens[prev].IsPunct(",")) {
            out += QuoteLiteral(MySqlFormatToStrftime(StringValue(t)));
            continue;
          }
        }
        out += t.text;
        continue;
      default:
        out += t.text;
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ParseProperties(TokenCursor& c) {
  std::vector<std::pair<std::string, std::string>> props;
  c.ExpectPunct("(");
  while (!c.TryPunct(")")) {
    const SqlToken& key = c.Next();
    std::string k = key.kind == Kind::kString ? StringValue(key) : IdentValue(key);
    c.ExpectPunct("=");
    const SqlToken& value = c.Next();
    std::string v;
    if (value.kind == Kind::kString) {
      v = StringValue(value);
    } else if (value.IsWord("ARRAY")) {
      c.TryPunct("[");
      while (!c.TryPunct("]")) {
        const SqlToken& e = c.Next();
        if (e.kind == Kind::kString) v += (v.empty() ? "" : ",") + StringValue(e);
      }
    } else {
      v = std::string(value.text);
    }
    props.emplace_back(Lower(k), v);
    c.TryPunct(",");
  }
  return props;
}

// Column definitions "(name type [COMMENT 'x'], ...)".
std::vector<ColumnDefinition> ParseColumnDefinitions(std::string_view sql, TokenCursor& c,
                                                     bool partition) {
  std::vector<ColumnDefinition> columns;
  c.ExpectPunct("(");
  while (true) {
    if (c.TryWord("PRIMARY") || c.TryWord("CONSTRAINT")) {
      while (!c.AtEnd() && !c.Peek()->IsPunct(",") && !c.Peek()->IsPunct(")")) {
        if (c.Peek()->IsPunct("(")) {
          c.SkipParens();
        } else {
          c.Next();
        }
      }
    } else {
      ColumnDefinition col;
      col.name = c.Ident();
      col.partition_key = partition;
      const size_t type_begin = c.Offset();
      size_t type_end = type_begin;
      int depth = 0;
      while (!c.AtEnd()) {
        const SqlToken* t = c.Peek();
        if (depth == 0 &&
            (t->IsPunct(",") || t->IsPunct(")") || t->IsWord("COMMENT") || t->IsWord("NOT") ||
             t->IsWord("NULL") || t->IsWord("PRIMARY") || t->IsWord("DEFAULT"))) {
          break;
        }
        if (t->IsPunct("(") || t->IsPunct("<")) ++depth;
        if (t->IsPunct(")") || t->IsPunct(">")) --depth;
        if (t->IsPunct(">>")) depth -= 2;
        c.Next();
        type_end = t->offset + t->text.size();
      }
      if (type_end == type_begin) c.Fail("Expecting: <type>");
      col.athena_type = NormalizeTypeText(sql.substr(type_begin, type_end - type_begin));
      while (!c.AtEnd() && !c.Peek()->IsPunct(",") && !c.Peek()->IsPunct(")")) {
        if (c.TryWord("COMMENT")) {
          col.comment = c.StringLiteral();
        } else {
          c.Next();  // NOT NULL etc.: Athena ignores constraints
        }
      }
      columns.push_back(std::move(col));
    }
    if (c.TryPunct(",")) continue;
    c.ExpectPunct(")");
    break;
  }
  return columns;
}

std::string QualifiedSql(const std::string& database, const std::string& table) {
  return database.empty() ? QuoteIdentifier(table)
                          : QuoteIdentifier(database) + "." + QuoteIdentifier(table);
}

Statement TranslateCreate(std::string_view sql, TokenCursor& c) {
  Statement st;
  const bool or_replace = c.TryWord("OR") ? (c.ExpectWord("REPLACE"), true) : false;
  if (c.TryWord("VIEW")) {
    st.kind = Statement::Kind::kCreateView;
    st.statement_type = "DDL";
    st.substatement_type = "CREATE_VIEW";
    std::tie(st.database, st.table) = c.QualifiedName();
    if (c.TryWord("COMMENT")) st.table_comment = c.StringLiteral();
    if (c.TryWord("SECURITY")) c.Next();
    c.ExpectWord("AS");
    st.duckdb_sql = std::string("CREATE ") + (or_replace ? "OR REPLACE " : "") + "VIEW " +
                    QualifiedSql(st.database, st.table) + " AS " + Translate(c.Rest());
    return st;
  }
  if (c.TryWord("DATABASE") || c.TryWord("SCHEMA")) {
    st.kind = Statement::Kind::kCreateDatabase;
    st.statement_type = "DDL";
    st.substatement_type = "CREATE_DATABASE";
    if (c.TryWord("IF")) {
      c.ExpectWord("NOT");
      c.ExpectWord("EXISTS");
      st.if_not_exists = true;
    }
    st.database = c.Ident();
    if (c.TryWord("COMMENT")) st.table_comment = c.StringLiteral();
    return st;
  }
  const bool external = c.TryWord("EXTERNAL");
  if (!c.TryWord("TABLE")) c.Fail("Expecting: 'TABLE', 'VIEW', 'DATABASE', 'SCHEMA'");
  if (c.TryWord("IF")) {
    c.ExpectWord("NOT");
    c.ExpectWord("EXISTS");
    st.if_not_exists = true;
  }
  std::tie(st.database, st.table) = c.QualifiedName();
  const std::string name_sql = QualifiedSql(st.database, st.table);
  if (!external && (c.Peek() == nullptr || !c.Peek()->IsPunct("("))) {
    // CTAS: CREATE TABLE t [WITH (...)] AS query [WITH [NO] DATA]
    if (c.TryWord("WITH")) st.table_properties = ParseProperties(c);
    if (c.TryWord("COMMENT")) st.table_comment = c.StringLiteral();
    c.ExpectWord("AS");
    std::string_view query = c.Rest();
    bool no_data = false;
    {
      // strip a trailing WITH [NO] DATA
      std::vector<SqlToken> toks;
      for (auto& t : TokenizeSql(query)) {
        if (t.kind != Kind::kSpace && t.kind != Kind::kComment) toks.push_back(t);
      }
      const size_t n = toks.size();
      if (n >= 2 && toks[n - 1].IsWord("DATA")) {
        size_t with_at = n - 2;
        if (toks[with_at].IsWord("NO")) {
          no_data = true;
          --with_at;
        }
        if (toks[with_at].IsWord("WITH")) query = query.substr(0, toks[with_at].offset);
      }
    }
    st.kind = Statement::Kind::kCtas;
    st.statement_type = "DML";
    st.substatement_type = "CREATE_TABLE_AS_SELECT";
    std::string inner = Translate(query);
    if (no_data) inner = "SELECT * FROM (" + inner + ") LIMIT 0";
    st.duckdb_sql = "CREATE TABLE " + std::string(st.if_not_exists ? "IF NOT EXISTS " : "") +
                    name_sql + " AS " + inner;
    for (auto& [k, v] : st.table_properties) {
      if (k == "external_location" || k == "location") st.location = v;
    }
    return st;
  }
  st.kind = Statement::Kind::kCreateTable;
  st.statement_type = "DDL";
  st.substatement_type = "CREATE_TABLE";
  st.columns = ParseColumnDefinitions(sql, c, false);
  while (!c.AtEnd()) {
    if (c.TryWord("COMMENT")) {
      st.table_comment = c.StringLiteral();
    } else if (c.TryWord("PARTITIONED")) {
      c.ExpectWord("BY");
      auto keys = ParseColumnDefinitions(sql, c, true);
      for (auto& k : keys) st.columns.push_back(std::move(k));
    } else if (c.TryWord("LOCATION")) {
      st.location = c.StringLiteral();
    } else if (c.TryWord("TBLPROPERTIES")) {
      auto props = ParseProperties(c);
      st.table_properties.insert(st.table_properties.end(), props.begin(), props.end());
    } else if (c.TryWord("WITH")) {
      auto props = ParseProperties(c);
      st.table_properties.insert(st.table_properties.end(), props.begin(), props.end());
    } else if (c.Peek()->IsPunct("(")) {
      c.SkipParens();
    } else if (c.TryWord("STORED")) {
      if (c.TryWord("AS")) {
        if (c.TryWord("INPUTFORMAT")) {
          c.StringLiteral();
          c.ExpectWord("OUTPUTFORMAT");
          c.StringLiteral();
        } else {
          st.table_properties.emplace_back("classification", Lower(c.Ident()));
        }
      }
    } else {
      c.Next();  // ROW FORMAT, STORED AS, SERDE, CLUSTERED BY, ...
    }
  }
  std::string ddl =
      "CREATE TABLE " + std::string(st.if_not_exists ? "IF NOT EXISTS " : "") + name_sql + " (";
  for (size_t i = 0; i < st.columns.size(); ++i) {
    if (i) ddl += ", ";
    ddl += QuoteIdentifier(st.columns[i].name) + " " + TranslateTypeText(st.columns[i].athena_type);
  }
  ddl += ")";
  st.duckdb_sql = std::move(ddl);
  return st;
}

Statement TranslateUnload(std::string_view sql, TokenCursor& c) {
  Statement st;
  st.kind = Statement::Kind::kUnload;
  st.statement_type = "DML";
  st.substatement_type = "UNLOAD";
  st.unload.select_sql = Translate(c.SkipParens());
  c.ExpectWord("TO");
  st.unload.target = c.StringLiteral();
  if (c.TryWord("WITH")) {
    for (auto& [k, v] : ParseProperties(c)) {
      if (k == "format")
        st.unload.format = Upper(v);
      else if (k == "compression")
        st.unload.compression = Lower(v);
      else if (k == "field_delimiter")
        st.unload.field_delimiter = v;
      else if (k == "partitioned_by") {
        throw SqlError("NOT_SUPPORTED", 1200,
                       "NOT_SUPPORTED: partitioned_by is not supported by athena-local UNLOAD");
      }
    }
  }
  if (!c.AtEnd()) c.Fail("Expecting: <EOF>");
  if (st.unload.format.empty()) {
    throw SqlError("INVALID_TABLE_PROPERTY", 1103,
                   "INVALID_TABLE_PROPERTY: UNLOAD requires the format property");
  }
  (void)sql;
  return st;
}

Statement TranslateShow(std::string_view sql, TokenCursor& c) {
  Statement st;
  st.statement_type = "UTILITY";
  if (c.TryWord("TABLES")) {
    st.kind = Statement::Kind::kShowTables;
    st.substatement_type = "SHOW_TABLES";
    if (c.TryWord("IN") || c.TryWord("FROM")) st.database = c.Ident();
    if (c.TryWord("LIKE")) {
      st.pattern = c.StringLiteral();
    } else if (!c.AtEnd() && c.Peek()->kind == Kind::kString) {
      st.pattern = c.StringLiteral();
    }
  } else if (c.TryWord("DATABASES") || c.TryWord("SCHEMAS")) {
    st.kind = Statement::Kind::kShowDatabases;
    st.substatement_type = "SHOW_DATABASES";
    if (c.TryWord("LIKE")) {
      st.pattern = c.StringLiteral();
    } else if (!c.AtEnd() && c.Peek()->kind == Kind::kString) {
      st.pattern = c.StringLiteral();
    }
  } else if (c.TryWord("VIEWS")) {
    st.kind = Statement::Kind::kShowViews;
    st.substatement_type = "SHOW_VIEWS";
    if (c.TryWord("IN") || c.TryWord("FROM")) st.database = c.Ident();
    if (c.TryWord("LIKE")) st.pattern = c.StringLiteral();
  } else if (c.TryWord("COLUMNS")) {
    st.kind = Statement::Kind::kShowColumns;
    st.substatement_type = "SHOW_COLUMNS";
    if (!c.TryWord("IN")) c.ExpectWord("FROM");
    std::tie(st.database, st.table) = c.QualifiedName();
    if (c.TryWord("IN") || c.TryWord("FROM")) st.database = c.Ident();
  } else if (c.TryWord("CREATE")) {
    if (!c.TryWord("TABLE")) c.ExpectWord("VIEW");
    st.kind = Statement::Kind::kShowCreateTable;
    st.substatement_type = "SHOW_CREATE_TABLE";
    std::tie(st.database, st.table) = c.QualifiedName();
  } else if (c.TryWord("PARTITIONS")) {
    st.kind = Statement::Kind::kShowPartitions;
    st.substatement_type = "SHOW_PARTITIONS";
    std::tie(st.database, st.table) = c.QualifiedName();
  } else {
    c.Fail(
        "Expecting: 'TABLES', 'DATABASES', 'SCHEMAS', 'COLUMNS', 'VIEWS', 'CREATE', "
        "'PARTITIONS'");
  }
  (void)sql;
  return st;
}

}  // namespace

bool SqlToken::IsWord(std::string_view upper) const {
  if (kind != Kind::kWord || text.size() != upper.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(text[i])) != upper[i]) return false;
  }
  return true;
}

std::vector<SqlToken> TokenizeSql(std::string_view sql) {
  std::vector<SqlToken> tokens;
  size_t i = 0;
  const size_t n = sql.size();
  auto push = [&](Kind kind, size_t start, size_t end) {
    tokens.push_back(SqlToken{kind, sql.substr(start, end - start), start});
  };
  while (i < n) {
    const size_t start = i;
    const auto c = static_cast<unsigned char>(sql[i]);
    if (std::isspace(c)) {
      while (i < n && std::isspace(static_cast<unsigned char>(sql[i]))) ++i;
      push(Kind::kSpace, start, i);
    } else if (c == '-' && i + 1 < n && sql[i + 1] == '-') {
      while (i < n && sql[i] != '\n') ++i;
      push(Kind::kComment, start, i);
    } else if (c == '/' && i + 1 < n && sql[i + 1] == '*') {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? n : end + 2;
      push(Kind::kComment, start, i);
    } else if (c == '\'' || c == '"' || c == '`') {
      const char q = static_cast<char>(c);
      ++i;
      while (i < n) {
        if (sql[i] == q) {
          if (i + 1 < n && sql[i + 1] == q) {
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        ++i;
      }
      push(q == '\''  ? Kind::kString
           : q == '"' ? Kind::kQuotedIdent
                      : Kind::kBacktickIdent,
           start, i);
    } else if (std::isdigit(c) ||
               (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(sql[i + 1])))) {
      while (i < n && (std::isdigit(static_cast<unsigned char>(sql[i])) || sql[i] == '.')) ++i;
      if (i < n && (sql[i] == 'e' || sql[i] == 'E')) {
        size_t j = i + 1;
        if (j < n && (sql[j] == '+' || sql[j] == '-')) ++j;
        if (j < n && std::isdigit(static_cast<unsigned char>(sql[j]))) {
          i = j;
          while (i < n && std::isdigit(static_cast<unsigned char>(sql[i]))) ++i;
        }
      }
      push(Kind::kNumber, start, i);
    } else if (IsWordStart(c)) {
      while (i < n && IsWordChar(static_cast<unsigned char>(sql[i]))) ++i;
      push(Kind::kWord, start, i);
    } else if (c == '?') {
      ++i;
      push(Kind::kParam, start, i);
    } else {
      static constexpr std::string_view kTwo[] = {"<=", ">=", "<>", "!=", "||", "::", "->", "=>"};
      size_t len = 1;
      if (i + 1 < n) {
        for (auto two : kTwo) {
          if (sql.substr(i, 2) == two) len = 2;
        }
      }
      i += len;
      push(Kind::kPunct, start, i);
    }
  }
  return tokens;
}

std::vector<std::string> SplitSqlStatements(std::string_view script) {
  std::vector<std::string> out;
  size_t start = 0;
  bool significant = false;
  auto flush = [&](size_t end) {
    if (significant) {
      std::string s(script.substr(start, end - start));
      out.push_back(std::move(s));
    }
    significant = false;
  };
  for (const auto& t : TokenizeSql(script)) {
    if (t.IsPunct(";")) {
      flush(t.offset);
      start = t.offset + 1;
    } else if (t.kind != Kind::kSpace && t.kind != Kind::kComment) {
      significant = true;
    }
  }
  flush(script.size());
  return out;
}

std::string SubstituteParameters(std::string_view sql, const std::vector<std::string>& params) {
  std::string out;
  size_t used = 0;
  size_t expected = 0;
  for (const auto& t : TokenizeSql(sql)) {
    if (t.kind == Kind::kParam) ++expected;
  }
  if (expected != params.size()) {
    throw SqlError("INVALID_PARAMETER_USAGE", 1100,
                   "INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected " +
                       std::to_string(expected) + " but found " + std::to_string(params.size()));
  }
  for (const auto& t : TokenizeSql(sql)) {
    if (t.kind == Kind::kParam) {
      out += params[used++];
    } else {
      out += t.text;
    }
  }
  return out;
}

std::pair<int, int> LineColumnOf(std::string_view sql, size_t offset) {
  int line = 1, col = 1;
  for (size_t i = 0; i < offset && i < sql.size(); ++i) {
    if (sql[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return {line, col};
}

// Hive SHOW pattern ('*' wildcard, '|' alternatives) -> ECMAScript regex.
std::string HivePatternToRegex(std::string_view pattern) {
  std::string out;
  for (char c : pattern) {
    if (c == '*') {
      out += ".*";
    } else if (c == '|') {
      out += '|';
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      out += c;
    } else {
      out += '\\';
      out += c;
    }
  }
  return out;
}

std::string TranslateTypeText(std::string_view type_text) {
  return TypeParser(type_text).Parse();
}

std::string TranslateQueryText(std::string_view sql) {
  return Translate(sql);
}

Statement TranslateStatement(std::string_view sql_in) {
  // Strip one trailing ';' (and anything insignificant after it).
  std::string_view sql = sql_in;
  {
    auto tokens = TokenizeSql(sql);
    size_t last = tokens.size();
    while (last > 0 &&
           (tokens[last - 1].kind == Kind::kSpace || tokens[last - 1].kind == Kind::kComment)) {
      --last;
    }
    if (last > 0 && tokens[last - 1].IsPunct(";")) sql = sql.substr(0, tokens[last - 1].offset);
    for (auto& t : TokenizeSql(sql)) {
      if (t.IsPunct(";")) {
        throw SyntaxError(sql, t.offset, "mismatched input ';'. Expecting: <EOF>");
      }
    }
  }
  TokenCursor c(sql, TokenizeSql(sql));
  if (c.AtEnd()) throw SyntaxError(sql, 0, "mismatched input '<EOF>'");
  const SqlToken& first = *c.Peek();
  Statement st;
  if (first.IsWord("SELECT") || first.IsWord("WITH") || first.IsWord("VALUES") ||
      first.IsWord("TABLE") || first.IsPunct("(")) {
    st.kind = Statement::Kind::kQuery;
    st.statement_type = "DML";
    st.substatement_type = "SELECT";
    st.duckdb_sql = Translate(sql);
    return st;
  }
  c.Next();
  if (first.IsWord("INSERT")) {
    st.kind = Statement::Kind::kInsert;
    st.statement_type = "DML";
    st.substatement_type = "INSERT";
    c.ExpectWord("INTO");
    std::tie(st.database, st.table) = c.QualifiedName();
    st.duckdb_sql = Translate(sql);
    return st;
  }
  if (first.IsWord("UPDATE") || first.IsWord("DELETE") || first.IsWord("MERGE")) {
    st.kind = Statement::Kind::kModify;
    st.statement_type = "DML";
    st.substatement_type = Upper(first.text);
    st.duckdb_sql = Translate(sql);
    return st;
  }
  if (first.IsWord("UNLOAD")) return TranslateUnload(sql, c);
  if (first.IsWord("CREATE")) return TranslateCreate(sql, c);
  if (first.IsWord("DROP")) {
    st.statement_type = "DDL";
    if (c.TryWord("TABLE")) {
      st.kind = Statement::Kind::kDropTable;
      st.substatement_type = "DROP_TABLE";
    } else if (c.TryWord("VIEW")) {
      st.kind = Statement::Kind::kDropView;
      st.substatement_type = "DROP_VIEW";
    } else if (c.TryWord("DATABASE") || c.TryWord("SCHEMA")) {
      st.kind = Statement::Kind::kDropDatabase;
      st.substatement_type = "DROP_DATABASE";
    } else {
      c.Fail("Expecting: 'TABLE', 'VIEW', 'DATABASE', 'SCHEMA'");
    }
    if (c.TryWord("IF")) {
      c.ExpectWord("EXISTS");
      st.if_exists = true;
    }
    if (st.kind == Statement::Kind::kDropDatabase) {
      st.database = c.Ident();
      if (c.TryWord("CASCADE")) st.cascade = true;
      c.TryWord("RESTRICT");
    } else {
      std::tie(st.database, st.table) = c.QualifiedName();
    }
    if (!c.AtEnd()) c.Fail("Expecting: <EOF>");
    return st;
  }
  if (first.IsWord("ALTER")) {
    st.statement_type = "DDL";
    c.ExpectWord("TABLE");
    std::tie(st.database, st.table) = c.QualifiedName();
    if (c.TryWord("ADD")) {
      if (c.TryWord("COLUMNS")) {
        st.kind = Statement::Kind::kAlterTable;
        st.substatement_type = "ALTER_TABLE_ADD_COLUMNS";
        st.columns = ParseColumnDefinitions(sql, c, false);
        return st;
      }
      st.kind = Statement::Kind::kNoOpDdl;
      st.substatement_type = "ALTER_TABLE_ADD_PARTITION";
      return st;
    }
    st.kind = Statement::Kind::kNoOpDdl;
    st.substatement_type = "ALTER_TABLE";
    return st;
  }
  if (first.IsWord("MSCK")) {
    st.kind = Statement::Kind::kNoOpDdl;
    st.statement_type = "DDL";
    st.substatement_type = "MSCK_REPAIR_TABLE";
    return st;
  }
  if (first.IsWord("SHOW")) return TranslateShow(sql, c);
  if (first.IsWord("DESCRIBE") || first.IsWord("DESC")) {
    st.kind = Statement::Kind::kDescribe;
    st.statement_type = "UTILITY";
    st.substatement_type = "DESCRIBE_TABLE";
    if (!c.TryWord("FORMATTED")) c.TryWord("EXTENDED");
    std::tie(st.database, st.table) = c.QualifiedName();
    return st;
  }
  if (first.IsWord("EXPLAIN")) {
    st.kind = Statement::Kind::kExplain;
    st.statement_type = "UTILITY";
    st.substatement_type = "EXPLAIN";
    if (c.TryWord("ANALYZE")) st.substatement_type = "EXPLAIN_ANALYZE";
    if (c.Peek() != nullptr && c.Peek()->IsPunct("(")) c.SkipParens();
    st.duckdb_sql = "EXPLAIN " + Translate(c.Rest());
    return st;
  }
  throw SyntaxError(sql, first.offset,
                    "mismatched input '" + std::string(first.text) +
                        "'. Expecting: 'ALTER', 'CREATE', 'DESCRIBE', 'DROP', 'EXPLAIN', "
                        "'INSERT', 'MSCK', 'SELECT', 'SHOW', 'UNLOAD', 'VALUES', 'WITH'");
}

const std::vector<std::string>& AthenaCompatMacros() {
  static const std::vector<std::string> kMacros = {
      "CREATE OR REPLACE TEMP MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)",
      "CREATE OR REPLACE TEMP MACRO from_iso8601_date(s) AS CAST(s AS DATE)",
      "CREATE OR REPLACE TEMP MACRO json_parse(s) AS json(s)",
      "CREATE OR REPLACE TEMP MACRO json_format(j) AS CAST(j AS VARCHAR)",
      "CREATE OR REPLACE TEMP MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)",
      "CREATE OR REPLACE TEMP MACRO from_unixtime(x) AS to_timestamp(x)",
      "CREATE OR REPLACE TEMP MACRO to_unixtime(t) AS epoch(t)",
      "CREATE OR REPLACE TEMP MACRO cardinality(x) AS len(x)",
      "CREATE OR REPLACE TEMP MACRO regexp_like(s, p) AS regexp_matches(s, p)",
      "CREATE OR REPLACE TEMP MACRO approx_distinct(x) AS approx_count_distinct(x)",
      "CREATE OR REPLACE TEMP MACRO arbitrary(x) AS any_value(x)",
      "CREATE OR REPLACE TEMP MACRO day_of_week(d) AS isodow(d)",
      "CREATE OR REPLACE TEMP MACRO day_of_year(d) AS dayofyear(d)",
      "CREATE OR REPLACE TEMP MACRO is_nan(x) AS isnan(x)",
      "CREATE OR REPLACE TEMP MACRO sequence(a, b) AS generate_series(a, b)",
      "CREATE OR REPLACE TEMP MACRO date_add(u, n, t) AS "
      "t + CAST(CAST(n AS VARCHAR) || ' ' || u AS INTERVAL)",
  };
  return kMacros;
}

}  // namespace ac::emulator
