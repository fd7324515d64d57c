#include "crypto/pem.h"

#include <array>
#include <cstdint>

namespace fabnet::crypto {

namespace {

constexpr std::string_view kBegin = "-----BEGIN ";
constexpr std::string_view kEnd = "-----END ";
constexpr std::string_view kBeginOnNewLine = "\n-----BEGIN ";
constexpr std::string_view kEndOnNewLine = "\n-----END ";
constexpr std::string_view kDashes = "-----";
constexpr std::string_view kAlphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

struct Line {
  std::string_view text;  // without its terminator and trailing spaces/tabs
  std::string_view rest;
};

// Go's pem.getLine: splits at '\n', drops a '\r' before it and trailing blanks.
Line get_line(std::string_view data) {
  std::size_t end = data.find('\n');
  std::size_t next = 0;
  if (end == std::string_view::npos) {
    end = next = data.size();
  } else {
    next = end + 1;
    if (end > 0 && data[end - 1] == '\r') --end;
  }
  std::string_view text = data.substr(0, end);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return {text, data.substr(next)};
}

// Go's base64.StdEncoding.Decode after pem removed spaces and tabs: '\r' and '\n'
// are ignored anywhere, padding is required, nothing may follow the padding.
std::optional<std::string> decode_base64(std::string_view text) {
  static const std::array<std::int8_t, 256> kValue = [] {
    std::array<std::int8_t, 256> value{};
    value.fill(-1);
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
      value[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return value;
  }();
  std::string symbols;
  symbols.reserve(text.size());
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') continue;
    symbols.push_back(c);
  }
  if (symbols.size() % 4 != 0) return std::nullopt;
  std::string out;
  out.reserve(symbols.size() / 4 * 3);
  for (std::size_t at = 0; at < symbols.size(); at += 4) {
    const bool last = at + 4 == symbols.size();
    int padding = 0;
    std::uint32_t group = 0;
    for (std::size_t i = 0; i < 4; ++i) {
      const char c = symbols[at + i];
      if (c == '=') {
        // Only the last one or two symbols of the final group may be padding.
        if (!last || i < 2) return std::nullopt;
        ++padding;
        group <<= 6;
        continue;
      }
      const std::int8_t value = kValue[static_cast<unsigned char>(c)];
      if (value < 0 || padding > 0) return std::nullopt;
      group = (group << 6) | static_cast<std::uint32_t>(value);
    }
    out.push_back(static_cast<char>(group >> 16));
    if (padding < 2) out.push_back(static_cast<char>((group >> 8) & 0xff));
    if (padding < 1) out.push_back(static_cast<char>(group & 0xff));
  }
  return out;
}

std::string remove_spaces_and_tabs(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\t') out.push_back(c);
  }
  return out;
}

}  // namespace

std::optional<PemBlock> decode_pem(std::string_view data) {
  std::string_view rest = data;
  for (;;) {
    if (rest.starts_with(kBegin)) {
      rest.remove_prefix(kBegin.size());
    } else if (const std::size_t at = rest.find(kBeginOnNewLine); at != std::string_view::npos) {
      rest.remove_prefix(at + kBeginOnNewLine.size());
    } else {
      return std::nullopt;
    }

    Line type_line = get_line(rest);
    rest = type_line.rest;
    if (!type_line.text.ends_with(kDashes)) continue;
    const std::string_view type = type_line.text.substr(0, type_line.text.size() - kDashes.size());

    // Optional "Key: value" header lines; certificates never carry them.
    bool has_headers = false;
    for (;;) {
      if (rest.empty()) return std::nullopt;  // as Go: no further search
      const Line line = get_line(rest);
      if (line.text.find(':') == std::string_view::npos) break;
      has_headers = true;
      rest = line.rest;
    }

    std::size_t body_end = 0;
    std::size_t trailer_at = 0;
    if (!has_headers && rest.starts_with(kEnd)) {
      trailer_at = kEnd.size();
    } else {
      body_end = rest.find(kEndOnNewLine);
      if (body_end == std::string_view::npos) continue;
      trailer_at = body_end + kEndOnNewLine.size();
    }

    // The END line names the same type, then five dashes, then only blanks.
    std::string_view trailer = rest.substr(trailer_at);
    const std::size_t trailer_size = type.size() + kDashes.size();
    if (trailer.size() < trailer_size) continue;
    const Line after = get_line(trailer.substr(trailer_size));
    trailer = trailer.substr(0, trailer_size);
    if (!trailer.starts_with(type) || !trailer.ends_with(kDashes)) continue;
    if (!after.text.empty()) continue;

    auto bytes = decode_base64(remove_spaces_and_tabs(rest.substr(0, body_end)));
    if (!bytes) continue;
    return PemBlock{std::string(type), std::move(*bytes), after.rest};
  }
}

std::string encode_pem(std::string_view type, std::string_view bytes) {
  std::string base64;
  base64.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t at = 0; at < bytes.size(); at += 3) {
    const std::size_t n = bytes.size() - at < 3 ? bytes.size() - at : 3;
    std::uint32_t group = 0;
    for (std::size_t i = 0; i < 3; ++i) {
      group = (group << 8) | (i < n ? static_cast<unsigned char>(bytes[at + i]) : 0u);
    }
    for (std::size_t i = 0; i < 4; ++i) {
      base64.push_back(i <= n ? kAlphabet[(group >> (18 - 6 * i)) & 0x3f] : '=');
    }
  }
  std::string out;
  out.append(kBegin).append(type).append(kDashes).append("\n");
  for (std::size_t at = 0; at < base64.size(); at += 64) {
    out.append(base64.substr(at, 64)).append("\n");
  }
  out.append(kEnd).append(type).append(kDashes).append("\n");
  return out;
}

}  // namespace fabnet::crypto
