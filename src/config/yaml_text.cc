#include "config/yaml_text.h"

#include <cctype>
#include <vector>

#include <fmt/format.h>

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

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

SettingsReader::SettingsReader(YAML::Node root, const Environment& env, std::string source,
                               std::string env_prefix)
    : root_(std::move(root)),
      env_(env),
      source_(std::move(source)),
      env_prefix_(std::move(env_prefix)) {}

std::string SettingsReader::env_name(std::string_view key) const {
  std::string name = env_prefix_;
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::optional<RawSetting> SettingsReader::from_env(std::string_view key) const {
  const std::string name = env_name(key);
  auto it = env_.find(name);
  if (it == env_.end() || it->second.empty()) return std::nullopt;  // viper: "" is unset
  return RawSetting{it->second, "environment variable " + name};
}

YAML::Node SettingsReader::node(std::string_view key) const {
  YAML::Node cur = root_;
  std::string walked;
  size_t start = 0;
  while (true) {
    if (!cur.IsDefined() || cur.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
    if (!cur.IsMap()) throw type_error(cur, walked, "a mapping of settings");
    const size_t dot = key.find('.', start);
    const std::string_view part =
        key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    walked = std::string(key.substr(0, dot));
    YAML::Node next(YAML::NodeType::Undefined);
    const std::string wanted = lower(part);
    for (auto it = cur.begin(); it != cur.end(); ++it) {
      if (it->first.IsScalar() && lower(it->first.Scalar()) == wanted) {
        next.reset(it->second);
        break;
      }
    }
    // reset() rebinds; operator= would overwrite the node inside the tree.
    cur.reset(next);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (!cur.IsDefined() || cur.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  return cur;
}

std::optional<RawSetting> SettingsReader::scalar(std::string_view key,
                                                 std::string_view expected) const {
  const YAML::Node n = node(key);
  if (auto e = from_env(key)) return e;
  if (!n.IsDefined()) return std::nullopt;
  if (!n.IsScalar()) throw type_error(n, std::string(key), expected);
  if (n.Scalar().empty()) return std::nullopt;
  return RawSetting{n.Scalar(), where(n)};
}

std::string SettingsReader::where(const YAML::Node& n) const {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return source_;
  return fmt::format("{}:{}", source_, m.line + 1);
}

ConfigError SettingsReader::type_error(const YAML::Node& n, std::string key,
                                       std::string_view expected) const {
  const std::string kind = n.IsMap()        ? "a mapping"
                           : n.IsSequence() ? "a list"
                           : n.IsNull()     ? "an empty value"
                                            : "a scalar";
  std::string shown;
  if (n.IsScalar() || n.IsNull()) {
    shown = n.IsScalar() ? n.Scalar() : "";
  } else {
    YAML::Emitter out;
    out << flow_copy(n);
    shown = out.c_str();
  }
  if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
  return ConfigError(
      where(n), key.empty() ? "(top level)" : std::move(key), shown,
      n.IsNull() ? "found " + kind
                 : fmt::format("found {} {}", kind, n.IsScalar() ? '"' + shown + '"' : shown),
      std::string(expected));
}

}  // namespace fabnet::config
