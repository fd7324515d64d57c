#pragma once

// Shared by the block store tests: a scratch folder and a valid chain to append.

#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "common/common.pb.h"
#include "ledger/block_builder.h"

namespace fabnet::ledger::testing {

// A fresh folder under the test temp folder, removed at the end of the test.
class ScratchFolder {
 public:
  ScratchFolder() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "fabnet-ledger-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~ScratchFolder() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ChainBlock {
  common::Block block;
  std::string bytes;
};

// `count` chained blocks, each with `envelopes` entries of `envelope_bytes` bytes.
inline std::vector<ChainBlock> make_chain(int count, int envelopes = 2,
                                          std::size_t envelope_bytes = 100) {
  BlockBuilder builder;
  std::vector<ChainBlock> chain;
  for (int n = 0; n < count; ++n) {
    std::vector<std::string> data;
    for (int e = 0; e < envelopes; ++e) {
      data.push_back(std::string(envelope_bytes, static_cast<char>('a' + (n + e) % 26)));
    }
    auto block = builder.next(std::move(data));
    auto bytes = block.SerializeAsString();
    chain.push_back({std::move(block), std::move(bytes)});
  }
  return chain;
}

// The record format written independently of the store: [len LE][crc32(len || bytes) LE][bytes].
inline std::string encode_record(const std::string& bytes) {
  std::string length;
  for (int i = 0; i < 4; ++i) length.push_back(static_cast<char>((bytes.size() >> (8 * i)) & 0xff));
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(length.data()), 4);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), static_cast<uInt>(bytes.size()));
  std::string record = length;
  for (int i = 0; i < 4; ++i) record.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return record + bytes;
}

inline void append_to_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::app) << bytes;
}

inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

}  // namespace fabnet::ledger::testing
