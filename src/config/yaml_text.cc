#include "config/yaml_text.h"

#include <vector>

namespace fabnet::config {

YAML::Node flow_copy(const YAML::Node& n) {
  YAML::Node copy = YAML::Clone(n);
  std::vector<YAML::Node> todo{copy};
  while (!todo.empty()) {
    YAML::Node cur = todo.back();
    todo.pop_back();
    if (cur.IsMap() || cur.IsSequence()) cur.SetStyle(YAML::EmitterStyle::Flow);
    if (cur.IsSequence()) {
      for (YAML::Node child : cur) todo.push_back(child);
    } else if (cur.IsMap()) {
      for (auto it = cur.begin(); it != cur.end(); ++it) todo.push_back(it->second);
    }
  }
  return copy;
}

}  // namespace fabnet::config
