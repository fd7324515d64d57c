#pragma once

#include <yaml-cpp/yaml.h>

namespace fabnet::config {

// A deep copy in flow style, so a list or mapping prints on one line ([a, b]) in
// error messages that quote the offending value.
YAML::Node flow_copy(const YAML::Node& n);

}  // namespace fabnet::config
