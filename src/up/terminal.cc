#include "up/terminal.h"

namespace fabnet::up {
namespace {
constexpr const char* kReset = "\x1b[0m";
constexpr const char* kHome = "\x1b[H";        // cursor to the top left
constexpr const char* kClearLine = "\x1b[K";   // erase to the end of the line
constexpr const char* kClearBelow = "\x1b[J";  // erase from the cursor down
constexpr const char* kClearScreen = "\x1b[2J";
constexpr const char* kHideCursor = "\x1b[?25l";
constexpr const char* kShowCursor = "\x1b[?25h";

const char* code(Style s) {
  switch (s) {
    case Style::kBold:
      return "\x1b[1m";
    case Style::kGood:
      return "\x1b[32m";
    case Style::kAlert:
      return "\x1b[1;31m";
    case Style::kDim:
      return "\x1b[2m";
    case Style::kPlain:
      break;
  }
  return "";
}
}  // namespace

std::string styled(const Line& line, bool colour) {
  std::string out;
  for (const Span& s : line) {
    if (colour && s.style != Style::kPlain) {
      out += code(s.style);
      out += s.text;
      out += kReset;
    } else {
      out += s.text;
    }
  }
  return out;
}

Terminal::~Terminal() {
  release();
}

void Terminal::draw(const std::vector<Line>& lines) {
  if (!live_) return;
  if (!drawn_) out_ << kClearScreen << kHideCursor;
  drawn_ = true;
  out_ << kHome;
  for (const Line& line : lines) out_ << styled(line, true) << kClearLine << "\n";
  out_ << kClearBelow << std::flush;
}

void Terminal::release() {
  if (live_ && drawn_) out_ << kShowCursor << std::flush;
  drawn_ = false;
}

}  // namespace fabnet::up
