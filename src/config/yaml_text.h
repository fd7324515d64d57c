#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <yaml-cpp/yaml.h>

#include "config/core_config.h"  // ConfigError, Environment

namespace fabnet::config {

// A deep copy in flow style, so a list or mapping prints on one line ([a, b]) in
// error messages that quote the offending value.
YAML::Node flow_copy(const YAML::Node& n);

// One setting's raw text and where it was found, for error messages.
struct RawSetting {
  std::string text;
  std::string where;  // "core.yaml:113" or "environment variable CORE_..."
};

// Fabric's (viper's) lookup of a YAML settings file, shared by core.yaml and
// orderer.yaml: walks the tree by dotted key path, keys match case-insensitively,
// null or empty values are unset, and a non-empty <PREFIX><KEY PATH> environment
// variable (upper case, '.' as '_') wins over the file.
class SettingsReader {
 public:
  // `env_prefix` e.g. "CORE_" or "ORDERER_"; `source` names the file in messages.
  SettingsReader(YAML::Node root, const Environment& env, std::string source,
                 std::string env_prefix);

  const std::string& source() const { return source_; }
  // The variable that overrides `key`: CORE_PEER_GOSSIP_ORGLEADER for peer.gossip.orgLeader.
  std::string env_name(std::string_view key) const;
  // Non-empty override of `key`, if any.
  std::optional<RawSetting> from_env(std::string_view key) const;
  // The node at `key`, or an undefined node when absent or null. Throws ConfigError
  // when an ancestor is present but not a mapping.
  YAML::Node node(std::string_view key) const;
  // A scalar setting from the environment or the file; nullopt when unset. The file's
  // node is checked even when the environment wins, so a bad file never passes.
  std::optional<RawSetting> scalar(std::string_view key, std::string_view expected) const;
  // "file:line" of `n`, or the file alone.
  std::string where(const YAML::Node& n) const;
  // "found a list [a, b]"-style error for `n` at `key`, expecting `expected`.
  ConfigError type_error(const YAML::Node& n, std::string key, std::string_view expected) const;

 private:
  YAML::Node root_;
  const Environment& env_;
  std::string source_;
  std::string env_prefix_;
};

}  // namespace fabnet::config
