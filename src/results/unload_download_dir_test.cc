#include "results/unload_download_dir.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <fstream>

namespace ac::results {
namespace {

namespace fs = std::filesystem;

struct ScratchDir {
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "unload-dir-test-XXXXXX").string();
    path = mkdtemp(pattern.data());
  }
  ~ScratchDir() { fs::remove_all(path); }
  fs::path path;
};

std::string Folder(const std::string& id) {
  return std::string(kUnloadDownloadPrefix) + id;
}

void Touch(const fs::path& file) {
  std::ofstream out(file);
  out << "x";
}

TEST(UnloadDownloadDirTest, TheQueryFolderOutlivesItsReaderAPrivateOneDoesNot) {
  ScratchDir root;
  fs::path kept;
  {
    UnloadDownloadDir dir(root.path, "q-1");
    EXPECT_TRUE(dir.persistent());
    EXPECT_EQ(dir.path(), root.path / Folder("q-1"));
    Touch(dir.path() / "f-a.parquet");
    // A second reader of the same query does not share (nor touch) the held folder.
    UnloadDownloadDir other(root.path, "q-1");
    EXPECT_FALSE(other.persistent());
    EXPECT_NE(other.path(), dir.path());
    EXPECT_EQ(other.path().filename().string().rfind(Folder("q-1-"), 0), 0u);
    kept = other.path();
  }
  EXPECT_FALSE(fs::exists(kept));                                      // private: gone
  EXPECT_TRUE(fs::exists(root.path / Folder("q-1") / "f-a.parquet"));  // the query's: kept
  UnloadDownloadDir again(root.path, "q-1");                           // and found again
  EXPECT_TRUE(again.persistent());
  EXPECT_TRUE(fs::exists(again.path() / "f-a.parquet"));
  again.Remove();
  EXPECT_FALSE(fs::exists(root.path / Folder("q-1")));
}

TEST(UnloadDownloadDirTest, AnIdThatIsNoPlainNameGetsAPrivateFolder) {
  ScratchDir root;
  UnloadDownloadDir dir(root.path, "../escape");
  EXPECT_FALSE(dir.persistent());
  EXPECT_EQ(dir.path().parent_path(), root.path);
}

TEST(UnloadDownloadDirTest, StaleFoldersGoKeptAndHeldOnesStay) {
  ScratchDir root;
  for (const auto& name :
       {Folder("kept"), Folder("stale"), Folder("x1Y2z3"), std::string("other")}) {
    fs::create_directories(root.path / name / "sub");
    Touch(root.path / name / "sub" / "f-1.parquet");
  }
  // Left by readers of this connector (killed: the lock file is there, nobody holds it).
  Touch(root.path / Folder("kept") / ".lock");
  Touch(root.path / Folder("stale") / ".lock");
  // An older connector's folders have no lock: one written to within the hour may be live.
  fs::create_directories(root.path / Folder("r4E5c6"));
  Touch(root.path / Folder("r4E5c6") / "000001.parquet");
  for (const auto& old : {root.path / Folder("x1Y2z3"), root.path / Folder("x1Y2z3") / "sub",
                          root.path / Folder("x1Y2z3") / "sub" / "f-1.parquet"}) {
    fs::last_write_time(old, fs::file_time_type::clock::now() - std::chrono::hours(2));
  }
  Touch(root.path / Folder("a-file"));  // not a folder: left alone
  auto live = std::make_unique<UnloadDownloadDir>(root.path, "live");
  Touch(live->path() / "f-2.parquet");

  EXPECT_EQ(RemoveStaleUnloadDownloads(root.path, {"kept"}), 2);  // stale, x1Y2z3 (old mkdtemp)
  EXPECT_TRUE(fs::exists(root.path / Folder("kept") / "sub" / "f-1.parquet"));
  EXPECT_FALSE(fs::exists(root.path / Folder("stale")));
  EXPECT_FALSE(fs::exists(root.path / Folder("x1Y2z3")));
  EXPECT_TRUE(fs::exists(root.path / "other" / "sub" / "f-1.parquet"));
  EXPECT_TRUE(fs::exists(root.path / Folder("a-file")));
  EXPECT_TRUE(fs::exists(root.path / Folder("r4E5c6") / "000001.parquet"));
  EXPECT_TRUE(fs::exists(live->path() / "f-2.parquet"));  // held by a live reader

  live.reset();  // as a killed process: the folder stays, unlocked
  EXPECT_TRUE(fs::exists(root.path / Folder("live")));
  EXPECT_EQ(RemoveStaleUnloadDownloads(root.path, {}), 2);  // live, kept
  EXPECT_EQ(RemoveStaleUnloadDownloads(root.path / "missing", {}), 0);
}

TEST(UnloadDownloadDirTest, SidecarRoundTripAndRemoval) {
  ScratchDir root;
  const fs::path file = root.path / "f-a.parquet";
  EXPECT_FALSE(ReadSidecar(file));
  WriteSidecar(file, {"\"etag-12\"", 12});
  const auto read = ReadSidecar(file);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->etag, "\"etag-12\"");
  EXPECT_EQ(read->size, 12);
  Touch(file);
  RemoveDownload(file);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_FALSE(fs::exists(SidecarPath(file)));
}

TEST(UnloadDownloadDirTest, LocalFileNames) {
  EXPECT_EQ(LocalFileName("20240101_000000_00001_abc_0"), "f-20240101_000000_00001_abc_0.parquet");
  EXPECT_EQ(LocalFileName("a b%"), "f-a%20b%25.parquet");
  EXPECT_EQ(LocalFileName(".."), "f-...parquet");
  const std::string longer(400, 'n');
  const std::string name = LocalFileName(longer);
  EXPECT_LT(name.size(), 200u);
  EXPECT_NE(name, LocalFileName(longer + "m"));
}

}  // namespace
}  // namespace ac::results
