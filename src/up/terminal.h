#pragma once

// The one place that knows ANSI escape sequences: redrawing a block of styled
// lines in place on a terminal, or printing plain text elsewhere.

#include <ostream>
#include <vector>

#include "up/view.h"

namespace fabnet::up {

class Terminal {
 public:
  // `live`: out is a terminal; redraw in place with colours.
  Terminal(std::ostream& out, bool live) : out_(out), live_(live) {}
  ~Terminal();
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool live() const { return live_; }
  // Replaces what the last draw() showed with `lines` (live only).
  void draw(const std::vector<Line>& lines);
  // Ends the live area: later output goes below it.
  void release();

 private:
  std::ostream& out_;
  bool live_;
  bool drawn_ = false;
};

// "\x1b[31m...\x1b[0m" for a line, or its plain text.
std::string styled(const Line& line, bool colour);

}  // namespace fabnet::up
