#include "sim/scenario.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/duration.h"
#include "sim/random.h"
#include "sim/simulation.h"

namespace fabnet::sim {

std::string_view to_string(MembershipModel model) {
  return model == MembershipModel::kIdeal ? "ideal" : "gossip";
}

std::optional<MembershipModel> membership_model_from(std::string_view name) {
  for (const MembershipModel model : {MembershipModel::kGossip, MembershipModel::kIdeal})
    if (name == to_string(model)) return model;
  return std::nullopt;
}

std::string_view to_string(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
      return "crash";
    case FaultKind::kRestart:
      return "restart";
    case FaultKind::kPause:
      return "pause";
    case FaultKind::kResume:
      return "resume";
    case FaultKind::kPartition:
      return "partition";
    case FaultKind::kHeal:
      return "heal";
    case FaultKind::kSkew:
      return "skew";
    case FaultKind::kLink:
      return "link";
  }
  return "?";
}

std::string peer_name(int index, std::string_view org_name) {
  return fmt::format("peer{}.{}", index, org_name);
}

std::string peer_endpoint(std::string_view peer_name) {
  return fmt::format("{}:7051", peer_name);
}

std::vector<PeerSpec> scenario_peers(const Scenario& scenario) {
  std::vector<PeerSpec> peers;
  for (const OrgSpec& org : scenario.orgs) {
    for (int i = 0; i < org.peers; ++i) {
      PeerSpec peer{peer_name(i, org.name), org.name, org.msp_id, {}};
      auto explicit_joins = scenario.joins.find(peer.name);
      if (explicit_joins != scenario.joins.end()) {
        peer.channels = explicit_joins->second;
      } else {
        for (const ChannelSpec& channel : scenario.channels) {
          if (std::find(channel.orgs.begin(), channel.orgs.end(), org.name) != channel.orgs.end()) {
            peer.channels.push_back(channel.name);
          }
        }
      }
      peers.push_back(std::move(peer));
    }
  }
  return peers;
}

namespace {

using config::format_duration;

constexpr std::string_view kExpectDuration = "a Go duration such as 90s, 500ms or 2m30s";
constexpr std::string_view kExpectTime = "a Go duration from the start of the run, such as 2m30s";
constexpr std::string_view kExpectName =
    "a name of letters, digits, '_', '-' and '.', starting with a letter";

// Key paths of the YAML text -> 1-based line, so errors found after parsing
// (unknown peers, times past the end) still point into the file.
using LineMap = std::map<std::string, int>;

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

bool is_name(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s.front()))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Reports problems as "<source>[:line]: <path>: <problem>; expected <expected>".
class Reporter {
 public:
  Reporter(std::string source, const LineMap* lines) : source_(std::move(source)), lines_(lines) {}

  const std::string& source() const { return source_; }

  [[noreturn]] void fail(const std::string& path, std::string_view problem,
                         std::string_view expected = "") const {
    throw ScenarioError(fmt::format(
        "{}{}{}{}{}{}", where(path), path.empty() ? "" : ": ", path, path.empty() ? "" : ": ",
        problem, expected.empty() ? "" : fmt::format("; expected {}", expected)));
  }

  std::string where(std::string path) const {
    // The nearest enclosing key with a known line.
    while (lines_ != nullptr && !path.empty()) {
      auto it = lines_->find(path);
      if (it != lines_->end()) return fmt::format("{}:{}", source_, it->second);
      const std::size_t cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    return source_;
  }

 private:
  std::string source_;
  const LineMap* lines_;
};

std::string shown(const YAML::Node& n) {
  if (n.IsScalar()) return fmt::format("\"{}\"", n.Scalar());
  if (n.IsNull()) return "an empty value";
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << n;
  std::string text = out.c_str();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : fmt::format("{}.{}", path, key);
}
std::string item(const std::string& path, std::size_t index) {
  return fmt::format("{}[{}]", path, index);
}

// Syntax: YAML structure, types and values of single fields.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)), report_(source_, &lines_) {}

  Scenario parse(std::string_view text);
  const LineMap& lines() const { return lines_; }

 private:
  [[noreturn]] void fail(const YAML::Node& n, const std::string& path, std::string_view problem,
                         std::string_view expected = "") {
    note(n, path);
    report_.fail(path, problem, expected);
  }

  void note(const YAML::Node& n, const std::string& path) {
    const YAML::Mark mark = n.Mark();
    if (!mark.is_null()) lines_.emplace(path, mark.line + 1);
  }

  // Fails on a key that is not in `allowed`; records the line of every key.
  void check_keys(const YAML::Node& map, const std::string& path,
                  const std::vector<std::string_view>& allowed) {
    if (!map.IsMap()) fail(map, path, fmt::format("found {}", shown(map)), "a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : shown(it->first);
      note(it->first, child(path, key));
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::vector<std::string> names(allowed.begin(), allowed.end());
        fail(it->first, child(path, key), "unknown key", fmt::format("one of: {}", join(names)));
      }
    }
  }

  std::string scalar(const YAML::Node& n, const std::string& path, std::string_view expected) {
    note(n, path);
    if (!n.IsScalar() || n.Scalar().empty()) {
      fail(n, path, fmt::format("found {}", shown(n)), expected);
    }
    return n.Scalar();
  }

  std::string name(const YAML::Node& n, const std::string& path) {
    std::string value = scalar(n, path, kExpectName);
    if (!is_name(value)) fail(n, path, fmt::format("invalid name \"{}\"", value), kExpectName);
    return value;
  }

  Duration duration(const YAML::Node& n, const std::string& path, bool is_time) {
    const std::string text = scalar(n, path, is_time ? kExpectTime : kExpectDuration);
    if (text.front() == '-') {
      fail(n, path, fmt::format("negative {} \"{}\"", is_time ? "time" : "duration", text),
           is_time ? kExpectTime : kExpectDuration);
    }
    try {
      return config::parse_go_duration(text);
    } catch (const config::DurationError& e) {
      fail(n, path, fmt::format("invalid duration \"{}\": {}", text, e.what()),
           is_time ? kExpectTime : kExpectDuration);
    }
  }

  double number(const YAML::Node& n, const std::string& path, std::string_view expected) {
    const std::string text = scalar(n, path, expected);
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end != text.c_str() + text.size() || !std::isfinite(value)) {
      fail(n, path, fmt::format("not a number: \"{}\"", text), expected);
    }
    return value;
  }

  long long integer(const YAML::Node& n, const std::string& path, std::string_view expected) {
    const std::string text = scalar(n, path, expected);
    long long value = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      fail(n, path, fmt::format("not an integer: \"{}\"", text), expected);
    }
    return value;
  }

  // A single name or a list of them.
  std::vector<std::string> names(const YAML::Node& n, const std::string& path,
                                 std::string_view expected) {
    note(n, path);
    if (n.IsScalar()) return {scalar(n, path, expected)};
    if (!n.IsSequence() || n.size() == 0) {
      fail(n, path, fmt::format("found {}", shown(n)), expected);
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i) out.push_back(scalar(n[i], item(path, i), expected));
    return out;
  }

  void parse_network(const YAML::Node& n, Scenario& s);
  void parse_settings(const YAML::Node& n, Scenario& s);
  void parse_link(const YAML::Node& n, const std::string& path, LinkChange& out);
  Fault parse_fault(const YAML::Node& n, const std::string& path);

  std::string source_;
  LineMap lines_;
  Reporter report_;
};

Scenario Parser::parse(std::string_view text) {
  YAML::Node loaded;
  try {
    loaded = YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ScenarioError(fmt::format("{}:{}:{}: malformed YAML: {}", source_, e.mark.line + 1,
                                    e.mark.column + 1, e.msg));
  }
  const YAML::Node& root = loaded;  // const: lookups must not insert keys
  if (!root.IsDefined() || root.IsNull()) {
    throw ScenarioError(
        fmt::format("{}: empty scenario; expected a mapping with at least "
                    "`network` (see docs/scenario-format.md)",
                    source_));
  }
  check_keys(root, "",
             {"name", "seed", "duration", "membership", "network", "settings", "link", "faults"});
  Scenario s;
  if (root["name"]) s.name = scalar(root["name"], "name", "a string");
  if (root["membership"]) {
    const std::string text = scalar(root["membership"], "membership", "gossip or ideal");
    if (const std::optional<MembershipModel> model = membership_model_from(text)) {
      s.membership = *model;
    } else {
      fail(root["membership"], "membership", fmt::format("unknown model \"{}\"", text),
           "gossip (Fabric's membership, the default) or ideal (views from the simulator's "
           "ground truth)");
    }
  }
  if (root["seed"]) {
    const std::string text = scalar(root["seed"], "seed", "an unsigned 64-bit integer");
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), s.seed);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      fail(root["seed"], "seed", fmt::format("not an unsigned integer: \"{}\"", text),
           "an unsigned 64-bit integer");
    }
  }
  if (root["duration"]) s.duration = duration(root["duration"], "duration", false);
  if (!root["network"]) {
    fail(root, "network", "missing", "a mapping with `orgs` and `channels`");
  }
  parse_network(root["network"], s);
  parse_settings(root["settings"], s);
  if (root["link"]) {
    check_keys(root["link"], "link", {"latency", "jitter", "loss", "duplicate"});
    LinkChange link;
    parse_link(root["link"], "link", link);
    s.link.latency = link.latency.value_or(s.link.latency);
    s.link.jitter = link.jitter.value_or(s.link.jitter);
    s.link.loss = link.loss.value_or(s.link.loss);
    s.link.duplicate = link.duplicate.value_or(s.link.duplicate);
  }
  if (const YAML::Node faults = root["faults"]; faults && !faults.IsNull()) {
    note(faults, "faults");
    if (!faults.IsSequence()) fail(faults, "faults", "not a list", "a list of faults");
    for (std::size_t i = 0; i < faults.size(); ++i) {
      s.faults.push_back(parse_fault(faults[i], item("faults", i)));
    }
  }
  return s;
}

void Parser::parse_network(const YAML::Node& n, Scenario& s) {
  check_keys(n, "network", {"orgs", "channels", "joins", "start_spread"});
  const YAML::Node orgs = n["orgs"];
  if (!orgs || !orgs.IsSequence() || orgs.size() == 0) {
    fail(orgs ? orgs : n, "network.orgs", "missing or empty",
         "a list of {name, msp_id, peers} entries");
  }
  for (std::size_t i = 0; i < orgs.size(); ++i) {
    const std::string path = item("network.orgs", i);
    check_keys(orgs[i], path, {"name", "msp_id", "peers"});
    OrgSpec org;
    for (std::string_view key : {"name", "msp_id", "peers"}) {
      if (!orgs[i][std::string(key)]) fail(orgs[i], child(path, key), "missing");
    }
    org.name = name(orgs[i]["name"], child(path, "name"));
    org.msp_id = name(orgs[i]["msp_id"], child(path, "msp_id"));
    const long long peers =
        integer(orgs[i]["peers"], child(path, "peers"), "a peer count from 1 to 100000");
    if (peers < 1 || peers > 100000) {
      fail(orgs[i]["peers"], child(path, "peers"), fmt::format("{} peers", peers),
           "a peer count from 1 to 100000");
    }
    org.peers = static_cast<int>(peers);
    s.orgs.push_back(std::move(org));
  }
  const YAML::Node channels = n["channels"];
  if (!channels || !channels.IsSequence() || channels.size() == 0) {
    fail(channels ? channels : n, "network.channels", "missing or empty",
         "a list of {name, orgs} entries");
  }
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const std::string path = item("network.channels", i);
    check_keys(channels[i], path, {"name", "orgs"});
    if (!channels[i]["name"]) fail(channels[i], child(path, "name"), "missing");
    if (!channels[i]["orgs"]) fail(channels[i], child(path, "orgs"), "missing");
    ChannelSpec channel;
    channel.name = name(channels[i]["name"], child(path, "name"));
    channel.orgs = names(channels[i]["orgs"], child(path, "orgs"), "org names");
    s.channels.push_back(std::move(channel));
  }
  if (const YAML::Node joins = n["joins"]; joins && !joins.IsNull()) {
    note(joins, "network.joins");
    if (!joins.IsMap()) {
      fail(joins, "network.joins", fmt::format("found {}", shown(joins)),
           "a mapping from peer name to a list of channel names");
    }
    for (auto it = joins.begin(); it != joins.end(); ++it) {
      const std::string peer = scalar(it->first, "network.joins", "a peer name");
      const std::string path = child("network.joins", peer);
      note(it->first, path);
      std::vector<std::string> joined;
      if (it->second.IsSequence() && it->second.size() == 0) {
        joined = {};  // `[]`: the peer joins no channel
      } else {
        joined = names(it->second, path, "a list of channel names ([] for none)");
      }
      s.joins[peer] = std::move(joined);
    }
  }
  if (n["start_spread"]) {
    s.start_spread = duration(n["start_spread"], "network.start_spread", false);
  }
}

// Keys of the `settings:` subtree: core.yaml keys, matched case-insensitively as
// viper does. Canonical spellings are used in error paths and in to_yaml.
const std::vector<std::string_view> kGossipKeys = {"useLeaderElection",
                                                   "orgLeader",
                                                   "bootstrap",
                                                   "election",
                                                   "aliveTimeInterval",
                                                   "aliveExpirationTimeout",
                                                   "reconnectInterval",
                                                   "pullInterval",
                                                   "pullPeerNum",
                                                   "propagatePeerNum",
                                                   "publishStateInfoInterval",
                                                   "requestStateInfoInterval",
                                                   "publishCertPeriod",
                                                   "msgExpirationFactor",
                                                   "maxConnectionAttempts"};
const std::vector<std::string_view> kElectionKeys = {
    "startupGracePeriod", "membershipSampleInterval", "leaderAliveThreshold",
    "leaderElectionDuration"};

// The child of `map` whose key equals `key` ignoring case; undefined if none.
YAML::Node find_ci(const YAML::Node& map, std::string_view key) {
  const std::string wanted = lower(key);
  for (auto it = map.begin(); it != map.end(); ++it) {
    if (it->first.IsScalar() && lower(it->first.Scalar()) == wanted) return it->second;
  }
  return YAML::Node(YAML::NodeType::Undefined);
}

// Go's strconv.ParseBool, as config::load_core_config_string reads booleans.
std::optional<bool> go_bool(std::string_view text) {
  for (std::string_view t : {"1", "t", "T", "TRUE", "true", "True"}) {
    if (text == t) return true;
  }
  for (std::string_view f : {"0", "f", "F", "FALSE", "false", "False"}) {
    if (text == f) return false;
  }
  return std::nullopt;
}

void Parser::parse_settings(const YAML::Node& n, Scenario& s) {
  const std::string path = "settings";
  if (!n || n.IsNull()) {
    s.settings.gossip = config::default_core_config().gossip;
    return;
  }
  note(n, path);
  // Case-insensitive key check; lines are recorded under the canonical spelling.
  auto check_ci = [&](const YAML::Node& map, const std::string& at,
                      const std::vector<std::string_view>& allowed) {
    if (!map.IsMap()) fail(map, at, fmt::format("found {}", shown(map)), "a mapping");
    for (auto it = map.begin(); it != map.end(); ++it) {
      const std::string key = it->first.IsScalar() ? it->first.Scalar() : shown(it->first);
      auto match = std::find_if(allowed.begin(), allowed.end(),
                                [&](std::string_view a) { return lower(a) == lower(key); });
      if (match == allowed.end()) {
        note(it->first, child(at, key));
        std::vector<std::string> names(allowed.begin(), allowed.end());
        fail(it->first, child(at, key), "unknown key",
             fmt::format("one of: {} (the simulator reads no other core.yaml keys)", join(names)));
      }
      note(it->first, child(at, *match));
    }
  };
  check_ci(n, path, {"peer"});
  const YAML::Node peer = find_ci(n, "peer");
  YAML::Node gossip;
  if (peer && !peer.IsNull()) {
    check_ci(peer, "settings.peer", {"gossip"});
    gossip = find_ci(peer, "gossip");
  }
  const std::string gossip_path = "settings.peer.gossip";
  if (gossip && !gossip.IsNull()) {
    check_ci(gossip, gossip_path, kGossipKeys);
    if (const YAML::Node election = find_ci(gossip, "election"); election && !election.IsNull()) {
      check_ci(election, child(gossip_path, "election"), kElectionKeys);
    }
    // Checked here so the message can point at the right lines of this file.
    const YAML::Node use = find_ci(gossip, "useLeaderElection");
    const YAML::Node org_leader = find_ci(gossip, "orgLeader");
    if (use && org_leader && use.IsScalar() && org_leader.IsScalar() &&
        go_bool(use.Scalar()).value_or(false) && go_bool(org_leader.Scalar()).value_or(false)) {
      fail(use, child(gossip_path, "useLeaderElection"),
           fmt::format("both useLeaderElection ({}) and orgLeader ({}) are true",
                       report_.where(child(gossip_path, "useLeaderElection")),
                       report_.where(child(gossip_path, "orgLeader"))),
           "at most one of them true: useLeaderElection for dynamic election, orgLeader for "
           "a static leader, neither for a static follower");
    }
  }

  // The core.yaml loader validates and converts exactly as for a peer's own
  // core.yaml. No environment: a scenario must not depend on CORE_* variables.
  YAML::Node core;
  core["peer"] = peer && !peer.IsNull() ? peer : YAML::Node(YAML::NodeType::Map);
  YAML::Emitter out;
  out << core;
  try {
    s.settings.gossip = config::load_core_config_string(out.c_str(), {}, source_).gossip;
  } catch (const config::ConfigError& e) {
    std::string what = e.what();
    if (what.starts_with(e.source() + ": ")) what = what.substr(e.source().size() + 2);
    throw ScenarioError(
        fmt::format("{}: settings.{}", report_.where(fmt::format("settings.{}", e.key())), what));
  }

  if (!gossip || gossip.IsNull()) return;
  GossipExtras& x = s.settings.extras;
  auto positive_int = [&](std::string_view key, std::optional<int>& out_value) {
    const YAML::Node v = find_ci(gossip, key);
    if (!v || v.IsNull()) return;
    const std::string at = child(gossip_path, key);
    const long long value = integer(v, at, "a whole number from 1 to 1000000");
    if (value < 1 || value > 1000000) {
      fail(v, at, fmt::format("{} is out of range", value), "a whole number from 1 to 1000000");
    }
    out_value = static_cast<int>(value);
  };
  // The other keys of kGossipKeys are read by the core.yaml loader above.
  positive_int("msgExpirationFactor", x.msg_expiration_factor);
  positive_int("maxConnectionAttempts", x.max_connection_attempts);
}

constexpr std::string_view kExpectProbability = "a probability from 0 to 1, such as 0.01";

void Parser::parse_link(const YAML::Node& n, const std::string& path, LinkChange& out) {
  auto probability = [&](std::string_view key, std::optional<double>& value) {
    const YAML::Node v = n[std::string(key)];
    if (!v) return;
    const std::string at = child(path, key);
    const double p = number(v, at, kExpectProbability);
    if (p < 0 || p > 1) {
      fail(v, at, fmt::format("probability {} is out of range", v.Scalar()), kExpectProbability);
    }
    value = p;
  };
  if (n["latency"]) out.latency = duration(n["latency"], child(path, "latency"), false);
  if (n["jitter"]) out.jitter = duration(n["jitter"], child(path, "jitter"), false);
  probability("loss", out.loss);
  probability("duplicate", out.duplicate);
}

const std::vector<std::string_view> kFaultKinds = {"crash",     "restart", "pause", "resume",
                                                   "partition", "heal",    "skew",  "link"};

std::vector<std::string_view> fault_keys(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
    case FaultKind::kPause:
      return {"at", "kind", "peer", "peers", "leader_of"};
    case FaultKind::kRestart:
    case FaultKind::kResume:
      return {"at", "kind", "peer", "peers"};
    case FaultKind::kSkew:
      return {"at", "kind", "peer", "peers", "leader_of", "rate"};
    case FaultKind::kPartition:
      return {"at", "kind", "name", "sides", "one_way"};
    case FaultKind::kHeal:
      return {"at", "kind", "name"};
    case FaultKind::kLink:
      return {"at", "kind", "latency", "jitter", "loss", "duplicate"};
  }
  return {};
}

Fault Parser::parse_fault(const YAML::Node& n, const std::string& path) {
  note(n, path);
  if (!n.IsMap()) {
    fail(n, path, fmt::format("found {}", shown(n)),
         "a mapping such as {at: 2m, kind: crash, ...}");
  }
  std::vector<std::string> kinds(kFaultKinds.begin(), kFaultKinds.end());
  const std::string expect_kind = fmt::format("one of: {}", join(kinds));
  if (!n["kind"]) fail(n, child(path, "kind"), "missing", expect_kind);
  const std::string kind_text = scalar(n["kind"], child(path, "kind"), expect_kind);
  auto kind_it = std::find(kFaultKinds.begin(), kFaultKinds.end(), kind_text);
  if (kind_it == kFaultKinds.end()) {
    fail(n["kind"], child(path, "kind"), fmt::format("unknown fault kind \"{}\"", kind_text),
         expect_kind);
  }
  Fault f;
  f.kind = static_cast<FaultKind>(kind_it - kFaultKinds.begin());
  const std::vector<std::string_view> allowed = fault_keys(f.kind);
  for (auto it = n.begin(); it != n.end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.Scalar() : shown(it->first);
    note(it->first, child(path, key));
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::vector<std::string> names(allowed.begin(), allowed.end());
      fail(it->first, child(path, key), fmt::format("unknown key for a {} fault", kind_text),
           fmt::format("one of: {}", join(names)));
    }
  }
  if (!n["at"]) fail(n, child(path, "at"), "missing", kExpectTime);
  f.at = duration(n["at"], child(path, "at"), true);

  if (n["peer"] && n["peers"]) {
    fail(n["peers"], child(path, "peers"), "both `peer` and `peers` given", "one of them");
  }
  if (n["peer"]) f.peers = {scalar(n["peer"], child(path, "peer"), "a peer name")};
  if (n["peers"]) f.peers = names(n["peers"], child(path, "peers"), "a list of peer names");
  if (const YAML::Node lo = n["leader_of"]) {
    const std::string at = child(path, "leader_of");
    if (n["peer"] || n["peers"]) fail(lo, at, "given together with peer(s)", "one of them");
    check_keys(lo, at, {"channel", "org"});
    if (!lo["channel"]) fail(lo, child(at, "channel"), "missing", "a channel name");
    if (!lo["org"]) fail(lo, child(at, "org"), "missing", "an org name or MSP ID");
    f.leader_of = LeaderOf{scalar(lo["channel"], child(at, "channel"), "a channel name"),
                           scalar(lo["org"], child(at, "org"), "an org name or MSP ID")};
  }
  const bool needs_target =
      f.kind == FaultKind::kCrash || f.kind == FaultKind::kPause || f.kind == FaultKind::kSkew;
  if (needs_target && f.peers.empty() && !f.leader_of) {
    fail(n, child(path, "peer"), fmt::format("a {} fault needs a target", kind_text),
         "`peer`, `peers` or `leader_of: {channel, org}`");
  }
  if (n["name"]) f.name = name(n["name"], child(path, "name"));

  if (f.kind == FaultKind::kPartition) {
    if (n["sides"] && n["one_way"]) {
      fail(n["one_way"], child(path, "one_way"), "given together with `sides`", "one of them");
    }
    if (const YAML::Node sides = n["sides"]) {
      const std::string at = child(path, "sides");
      note(sides, at);
      if (!sides.IsMap() || sides.size() == 0) {
        fail(sides, at, fmt::format("found {}", shown(sides)),
             "a mapping from side name to a list of peers, e.g. {east: [peer0.org1], west: "
             "[peer1.org1]}");
      }
      for (auto it = sides.begin(); it != sides.end(); ++it) {
        const std::string side = name(it->first, at);
        note(it->first, child(at, side));
        f.sides.emplace_back(side, names(it->second, child(at, side), "a list of peer names"));
      }
    } else if (const YAML::Node one_way = n["one_way"]) {
      const std::string at = child(path, "one_way");
      check_keys(one_way, at, {"from", "to"});
      if (!one_way["from"]) fail(one_way, child(at, "from"), "missing", "a list of peer names");
      if (!one_way["to"]) fail(one_way, child(at, "to"), "missing", "a list of peer names");
      f.one_way_from = names(one_way["from"], child(at, "from"), "a list of peer names");
      f.one_way_to = names(one_way["to"], child(at, "to"), "a list of peer names");
    } else {
      fail(n, child(path, "sides"), "a partition needs `sides` or `one_way`",
           "sides: {a: [peers...], b: [peers...]} or one_way: {from: [peers...], to: [peers...]}");
    }
  }
  if (f.kind == FaultKind::kSkew) {
    if (!n["rate"]) fail(n, child(path, "rate"), "missing", "a clock rate such as 1.05");
    f.rate = number(n["rate"], child(path, "rate"), "a clock rate such as 1.05");
  }
  if (f.kind == FaultKind::kLink) {
    parse_link(n, path, f.link);
    if (!f.link.latency && !f.link.jitter && !f.link.loss && !f.link.duplicate) {
      fail(n, path, "a link fault changes nothing",
           "at least one of latency, jitter, loss, duplicate");
    }
  }
  return f;
}

// Semantics: cross-references and ranges, on a parsed or hand-built scenario.
void check_scenario(const Scenario& s, const Reporter& report) {
  if (s.duration <= Duration::zero()) {
    report.fail("duration", fmt::format("{} is not positive", format_duration(s.duration)),
                kExpectDuration);
  }
  if (s.orgs.empty()) report.fail("network.orgs", "no orgs", "at least one org");
  if (s.channels.empty()) report.fail("network.channels", "no channels", "at least one channel");
  std::map<std::string, const OrgSpec*> org_by_name;
  std::set<std::string> msp_ids;
  for (std::size_t i = 0; i < s.orgs.size(); ++i) {
    const OrgSpec& org = s.orgs[i];
    const std::string path = item("network.orgs", i);
    if (!is_name(org.name)) {
      report.fail(child(path, "name"), fmt::format("invalid name \"{}\"", org.name), kExpectName);
    }
    if (!is_name(org.msp_id)) {
      report.fail(child(path, "msp_id"), fmt::format("invalid name \"{}\"", org.msp_id),
                  kExpectName);
    }
    if (!org_by_name.emplace(org.name, &org).second) {
      report.fail(child(path, "name"), fmt::format("duplicate org name \"{}\"", org.name),
                  "unique org names");
    }
    if (!msp_ids.insert(org.msp_id).second) {
      report.fail(child(path, "msp_id"), fmt::format("duplicate MSP ID \"{}\"", org.msp_id),
                  "unique MSP IDs");
    }
    if (org.peers < 1 || org.peers > 100000) {
      report.fail(child(path, "peers"), fmt::format("{} peers", org.peers),
                  "a peer count from 1 to 100000");
    }
  }
  std::map<std::string, const ChannelSpec*> channel_by_name;
  for (std::size_t i = 0; i < s.channels.size(); ++i) {
    const ChannelSpec& channel = s.channels[i];
    const std::string path = item("network.channels", i);
    if (!is_name(channel.name)) {
      report.fail(child(path, "name"), fmt::format("invalid name \"{}\"", channel.name),
                  kExpectName);
    }
    if (!channel_by_name.emplace(channel.name, &channel).second) {
      report.fail(child(path, "name"), fmt::format("duplicate channel \"{}\"", channel.name),
                  "unique channel names");
    }
    if (channel.orgs.empty()) report.fail(child(path, "orgs"), "no orgs", "at least one org");
    std::set<std::string> seen;
    for (std::size_t j = 0; j < channel.orgs.size(); ++j) {
      const std::string at = item(child(path, "orgs"), j);
      if (!org_by_name.contains(channel.orgs[j])) {
        std::vector<std::string> known;
        for (const auto& [name, org] : org_by_name) known.push_back(name);
        report.fail(at, fmt::format("unknown org \"{}\"", channel.orgs[j]),
                    fmt::format("one of: {}", join(known)));
      }
      if (!seen.insert(channel.orgs[j]).second) {
        report.fail(at, fmt::format("org \"{}\" listed twice", channel.orgs[j]));
      }
    }
  }
  if (s.start_spread < Duration::zero() || s.start_spread > s.duration) {
    report.fail("network.start_spread",
                fmt::format("{} is outside the run", format_duration(s.start_spread)),
                "a duration from 0 to the run's duration");
  }

  std::map<std::string, const OrgSpec*> org_of_peer;
  for (const OrgSpec& org : s.orgs) {
    for (int i = 0; i < org.peers; ++i) org_of_peer.emplace(peer_name(i, org.name), &org);
  }
  auto check_peer = [&](const std::string& path, const std::string& peer) {
    if (org_of_peer.contains(peer)) return;
    std::string hint;
    if (const auto dot = peer.find('.'); dot != std::string::npos) {
      auto org = org_by_name.find(peer.substr(dot + 1));
      if (org != org_by_name.end()) {
        hint =
            fmt::format("a peer name: {} has peer0 to peer{}", org->first, org->second->peers - 1);
      }
    }
    if (hint.empty()) hint = "a peer name peer<i>.<org name>, such as peer0." + s.orgs.front().name;
    report.fail(path, fmt::format("unknown peer \"{}\"", peer), hint);
  };
  auto check_peers = [&](const std::string& path, const std::vector<std::string>& peers,
                         bool allow_empty) {
    if (peers.empty() && !allow_empty) report.fail(path, "no peers", "at least one peer");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < peers.size(); ++i) {
      check_peer(peers.size() == 1 ? path : item(path, i), peers[i]);
      if (!seen.insert(peers[i]).second) {
        report.fail(item(path, i), fmt::format("peer \"{}\" listed twice", peers[i]));
      }
    }
  };
  auto org_in_channel = [&](const std::string& org, const std::string& channel) {
    const auto& orgs = channel_by_name.at(channel)->orgs;
    return std::find(orgs.begin(), orgs.end(), org) != orgs.end();
  };

  for (const auto& [peer, channels] : s.joins) {
    const std::string path = child("network.joins", peer);
    check_peer(path, peer);
    std::set<std::string> seen;
    for (std::size_t i = 0; i < channels.size(); ++i) {
      const std::string at = channels.size() == 1 ? path : item(path, i);
      if (!channel_by_name.contains(channels[i])) {
        report.fail(at, fmt::format("unknown channel \"{}\"", channels[i]));
      }
      if (!org_in_channel(org_of_peer.at(peer)->name, channels[i])) {
        report.fail(at,
                    fmt::format("{}'s org {} is not a member of channel {}", peer,
                                org_of_peer.at(peer)->name, channels[i]),
                    "a channel that lists the peer's org");
      }
      if (!seen.insert(channels[i]).second) {
        report.fail(at, fmt::format("channel \"{}\" listed twice", channels[i]));
      }
    }
  }

  const config::GossipSettings& g = s.settings.gossip;
  for (std::size_t i = 0; i < g.bootstrap.size(); ++i) {
    const std::string& endpoint = g.bootstrap[i];
    const std::string path = item("settings.peer.gossip.bootstrap", i);
    const auto colon = endpoint.rfind(':');
    if (colon == std::string::npos || endpoint.substr(colon) != ":7051" ||
        !org_of_peer.contains(endpoint.substr(0, colon))) {
      report.fail(path, fmt::format("unknown endpoint \"{}\"", endpoint),
                  "the endpoint of a scenario peer, <peer name>:7051");
    }
  }
  auto check_probability = [&](const std::string& path, double p) {
    if (!(p >= 0 && p <= 1)) {
      report.fail(path, fmt::format("probability {} is out of range", p), kExpectProbability);
    }
  };
  auto check_non_negative = [&](const std::string& path, Duration d) {
    if (d < Duration::zero()) {
      report.fail(path, fmt::format("negative duration {}", format_duration(d)), kExpectDuration);
    }
  };
  check_non_negative("link.latency", s.link.latency);
  check_non_negative("link.jitter", s.link.jitter);
  check_probability("link.loss", s.link.loss);
  check_probability("link.duplicate", s.link.duplicate);

  std::set<std::string> partition_names;
  for (const Fault& f : s.faults) {
    if (f.kind == FaultKind::kPartition && !f.name.empty()) partition_names.insert(f.name);
  }
  for (std::size_t i = 0; i < s.faults.size(); ++i) {
    const Fault& f = s.faults[i];
    const std::string path = item("faults", i);
    if (f.at < Duration::zero()) {
      report.fail(child(path, "at"), fmt::format("negative time {}", format_duration(f.at)),
                  kExpectTime);
    }
    if (f.at > s.duration) {
      report.fail(child(path, "at"),
                  fmt::format("{} is after the end of the run (duration {})", format_duration(f.at),
                              format_duration(s.duration)),
                  "a time within the run");
    }
    const bool may_default = f.kind == FaultKind::kRestart || f.kind == FaultKind::kResume;
    const bool targets_peers = may_default || f.kind == FaultKind::kCrash ||
                               f.kind == FaultKind::kPause || f.kind == FaultKind::kSkew;
    if (!targets_peers) {
      if (!f.peers.empty() || f.leader_of) {
        report.fail(child(path, "peers"),
                    fmt::format("a {} fault targets no peers", to_string(f.kind)));
      }
    } else if (!f.leader_of) {
      check_peers(child(path, f.peers.size() == 1 ? "peer" : "peers"), f.peers, may_default);
    } else {
      const std::string at = child(path, "leader_of");
      if (!channel_by_name.contains(f.leader_of->channel)) {
        report.fail(child(at, "channel"),
                    fmt::format("unknown channel \"{}\"", f.leader_of->channel));
      }
      const OrgSpec* org = nullptr;
      for (const OrgSpec& o : s.orgs) {
        if (o.name == f.leader_of->org || o.msp_id == f.leader_of->org) org = &o;
      }
      if (org == nullptr) {
        report.fail(child(at, "org"), fmt::format("unknown org \"{}\"", f.leader_of->org),
                    "an org name or MSP ID of the network");
      }
      if (!org_in_channel(org->name, f.leader_of->channel)) {
        report.fail(
            child(at, "org"),
            fmt::format("org {} is not a member of channel {}", org->name, f.leader_of->channel),
            "an org of that channel");
      }
    }
    if (f.kind == FaultKind::kPartition) {
      if (f.sides.empty() && !f.is_one_way()) {
        report.fail(child(path, "sides"), "a partition needs `sides` or `one_way`");
      }
      std::set<std::string> placed;
      std::set<std::string> side_names;
      for (const auto& [side, peers] : f.sides) {
        const std::string at = child(child(path, "sides"), side);
        if (!side_names.insert(side).second) report.fail(at, "side named twice");
        check_peers(at, peers, false);
        for (const std::string& peer : peers) {
          if (!placed.insert(peer).second) {
            report.fail(at, fmt::format("peer \"{}\" is on two sides", peer),
                        "each peer on at most one side");
          }
        }
      }
      if (f.is_one_way()) {
        check_peers(child(path, "one_way.from"), f.one_way_from, false);
        check_peers(child(path, "one_way.to"), f.one_way_to, false);
        for (const std::string& peer : f.one_way_from) {
          if (std::find(f.one_way_to.begin(), f.one_way_to.end(), peer) != f.one_way_to.end()) {
            report.fail(child(path, "one_way"),
                        fmt::format("peer \"{}\" is in both from and to", peer));
          }
        }
      }
    }
    if (f.kind == FaultKind::kHeal && !f.name.empty() && !partition_names.contains(f.name)) {
      report.fail(child(path, "name"), fmt::format("no partition is named \"{}\"", f.name),
                  "the name of a partition fault, or no name to heal every partition");
    }
    if (f.kind == FaultKind::kSkew && !(f.rate > 0 && f.rate <= 10)) {
      report.fail(child(path, "rate"), fmt::format("clock rate {} is out of range", f.rate),
                  "a rate above 0 and at most 10, such as 1.05 (5% fast)");
    }
    if (f.kind == FaultKind::kLink) {
      if (f.link.latency) check_non_negative(child(path, "latency"), *f.link.latency);
      if (f.link.jitter) check_non_negative(child(path, "jitter"), *f.link.jitter);
      if (f.link.loss) check_probability(child(path, "loss"), *f.link.loss);
      if (f.link.duplicate) check_probability(child(path, "duplicate"), *f.link.duplicate);
    }
  }
}

}  // namespace

Scenario load_scenario_string(std::string_view yaml_text, std::string_view source) {
  Parser parser{std::string(source)};
  Scenario s;
  try {
    s = parser.parse(yaml_text);
  } catch (const YAML::Exception& e) {
    // Not expected after the checks above; never let yaml-cpp's type escape.
    throw ScenarioError(fmt::format("{}: unreadable YAML structure: {}", source, e.what()));
  }
  check_scenario(s, Reporter(std::string(source), &parser.lines()));
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  return s;
}

Scenario load_scenario_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(fmt::format("{}: cannot open the scenario file", path));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ScenarioError(fmt::format("{}: cannot read the scenario file", path));
  return load_scenario_string(text.str(), path);
}

void validate_scenario(const Scenario& scenario, std::string_view source) {
  check_scenario(scenario, Reporter(std::string(source), nullptr));
}

namespace {

// Double-quoted YAML scalar.
std::string yaml_quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\x{:02x}", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

// A name as a plain scalar when that reads back as the same string.
std::string scalar_text(std::string_view text) {
  static const std::set<std::string> kSpecial = {"null", "true", "false", "yes", "no",
                                                 "on",   "off",  "y",     "n",   "~"};
  if (is_name(text) && !kSpecial.contains(lower(text))) return std::string(text);
  return yaml_quoted(text);
}

std::string flow_list(const std::vector<std::string>& items) {
  std::vector<std::string> shown_items;
  for (const std::string& i : items) shown_items.push_back(scalar_text(i));
  return fmt::format("[{}]", join(shown_items));
}

std::string number_text(double value) {
  return fmt::format("{}", value);  // shortest text that reads back as the same double
}

}  // namespace

std::string to_yaml(const Scenario& s) {
  std::string y;
  auto line = [&](int indent, std::string_view text) {
    y.append(static_cast<std::size_t>(indent), ' ');
    y += text;
    y += '\n';
  };
  line(0, fmt::format("name: {}", yaml_quoted(s.name)));
  line(0, fmt::format("seed: {}", s.seed));
  line(0, fmt::format("duration: {}", format_duration(s.duration)));
  if (s.membership != MembershipModel::kGossip)
    line(0, fmt::format("membership: {}", to_string(s.membership)));
  line(0, "network:");
  line(2, "orgs:");
  for (const OrgSpec& org : s.orgs) {
    line(4, fmt::format("- {{name: {}, msp_id: {}, peers: {}}}", scalar_text(org.name),
                        scalar_text(org.msp_id), org.peers));
  }
  line(2, "channels:");
  for (const ChannelSpec& channel : s.channels) {
    line(4, fmt::format("- {{name: {}, orgs: {}}}", scalar_text(channel.name),
                        flow_list(channel.orgs)));
  }
  if (!s.joins.empty()) {
    line(2, "joins:");
    for (const auto& [peer, channels] : s.joins) {
      line(4, fmt::format("{}: {}", scalar_text(peer), flow_list(channels)));
    }
  }
  line(2, fmt::format("start_spread: {}", format_duration(s.start_spread)));

  const config::GossipSettings& g = s.settings.gossip;
  const GossipExtras& x = s.settings.extras;
  line(0, "settings:");
  line(2, "peer:");
  line(4, "gossip:");
  line(6, fmt::format("useLeaderElection: {}", g.use_leader_election));
  line(6, fmt::format("orgLeader: {}", g.org_leader));
  if (!g.bootstrap.empty()) {
    std::vector<std::string> endpoints;
    for (const std::string& e : g.bootstrap) endpoints.push_back(yaml_quoted(e));
    line(6, fmt::format("bootstrap: [{}]", join(endpoints)));
  }
  line(6, "election:");
  line(8, fmt::format("startupGracePeriod: {}", format_duration(g.election.startup_grace_period)));
  line(8, fmt::format("membershipSampleInterval: {}",
                      format_duration(g.election.membership_sample_interval)));
  line(8,
       fmt::format("leaderAliveThreshold: {}", format_duration(g.election.leader_alive_threshold)));
  line(8, fmt::format("leaderElectionDuration: {}",
                      format_duration(g.election.leader_election_duration)));
  line(6, fmt::format("aliveTimeInterval: {}", format_duration(g.alive_time_interval)));
  line(6, fmt::format("aliveExpirationTimeout: {}", format_duration(g.alive_expiration_timeout)));
  line(6, fmt::format("reconnectInterval: {}", format_duration(g.reconnect_interval)));
  line(6, fmt::format("pullInterval: {}", format_duration(g.pull_interval)));
  line(6, fmt::format("pullPeerNum: {}", g.pull_peer_num));
  line(6, fmt::format("propagatePeerNum: {}", g.propagate_peer_num));
  line(6,
       fmt::format("publishStateInfoInterval: {}", format_duration(g.publish_state_info_interval)));
  line(6,
       fmt::format("requestStateInfoInterval: {}", format_duration(g.request_state_info_interval)));
  line(6, fmt::format("publishCertPeriod: {}", format_duration(g.publish_cert_period)));
  auto opt_int = [&](std::string_view key, const std::optional<int>& v) {
    if (v) line(6, fmt::format("{}: {}", key, *v));
  };
  opt_int("msgExpirationFactor", x.msg_expiration_factor);
  opt_int("maxConnectionAttempts", x.max_connection_attempts);

  line(0, "link:");
  line(2, fmt::format("latency: {}", format_duration(s.link.latency)));
  line(2, fmt::format("jitter: {}", format_duration(s.link.jitter)));
  line(2, fmt::format("loss: {}", number_text(s.link.loss)));
  line(2, fmt::format("duplicate: {}", number_text(s.link.duplicate)));

  if (s.faults.empty()) return y;
  line(0, "faults:");
  for (const Fault& f : s.faults) {
    std::vector<std::string> fields = {fmt::format("at: {}", format_duration(f.at)),
                                       fmt::format("kind: {}", to_string(f.kind))};
    if (f.leader_of) {
      fields.push_back(fmt::format("leader_of: {{channel: {}, org: {}}}",
                                   scalar_text(f.leader_of->channel),
                                   scalar_text(f.leader_of->org)));
    } else if (f.peers.size() == 1) {
      fields.push_back(fmt::format("peer: {}", scalar_text(f.peers.front())));
    } else if (!f.peers.empty()) {
      fields.push_back(fmt::format("peers: {}", flow_list(f.peers)));
    }
    if (!f.name.empty()) fields.push_back(fmt::format("name: {}", scalar_text(f.name)));
    switch (f.kind) {
      case FaultKind::kPartition:
        if (f.is_one_way()) {
          fields.push_back(fmt::format("one_way: {{from: {}, to: {}}}", flow_list(f.one_way_from),
                                       flow_list(f.one_way_to)));
        } else {
          std::vector<std::string> sides;
          for (const auto& [side, peers] : f.sides) {
            sides.push_back(fmt::format("{}: {}", scalar_text(side), flow_list(peers)));
          }
          fields.push_back(fmt::format("sides: {{{}}}", join(sides)));
        }
        break;
      case FaultKind::kSkew:
        fields.push_back(fmt::format("rate: {}", number_text(f.rate)));
        break;
      case FaultKind::kLink:
        if (f.link.latency) {
          fields.push_back(fmt::format("latency: {}", format_duration(*f.link.latency)));
        }
        if (f.link.jitter)
          fields.push_back(fmt::format("jitter: {}", format_duration(*f.link.jitter)));
        if (f.link.loss) fields.push_back(fmt::format("loss: {}", number_text(*f.link.loss)));
        if (f.link.duplicate) {
          fields.push_back(fmt::format("duplicate: {}", number_text(*f.link.duplicate)));
        }
        break;
      default:
        break;
    }
    line(2, fmt::format("- {{{}}}", join(fields)));
  }
  return y;
}

std::string_view default_scenario_yaml() {
  static constexpr std::string_view kDefault =
      R"(# fabnet's default scenario: two channels, three orgs of four peers, Fabric's
# default timings with dynamic leader election, and one of each common fault.
# The last fault is early enough for the settled-state checks (settling time
# 1m45.6s plus 25.04s to confirm a violation) to fit before the end.
name: default
seed: 1
duration: 10m
network:
  orgs:
    - {name: org1, msp_id: Org1MSP, peers: 4}
    - {name: org2, msp_id: Org2MSP, peers: 4}
    - {name: org3, msp_id: Org3MSP, peers: 4}
  channels:
    - {name: channel1, orgs: [org1, org2, org3]}
    - {name: channel2, orgs: [org1, org2]}
  start_spread: 100ms
settings:
  peer:
    gossip:
      useLeaderElection: true
      orgLeader: false
      election:
        startupGracePeriod: 15s
        membershipSampleInterval: 1s
        leaderAliveThreshold: 10s
        leaderElectionDuration: 5s
      aliveTimeInterval: 5s
      aliveExpirationTimeout: 25s
      reconnectInterval: 25s
link:
  latency: 5ms
  jitter: 5ms
  loss: 0.001
  duplicate: 0.001
faults:
  # The leader of (channel1, org1) dies; the survivors elect a new one.
  - {at: 1m30s, kind: crash, leader_of: {channel: channel1, org: org1}}
  # It comes back with a new incarnation and rejoins as a follower.
  - {at: 2m30s, kind: restart}
  # org2 splits in two: each half elects its own leader until the heal.
  - {at: 3m30s, kind: partition, name: split, sides: {east: [peer0.org2, peer1.org2], west: [peer2.org2, peer3.org2]}}
  - {at: 5m, kind: heal, name: split}
  # The leader of (channel2, org2) hangs for a minute, then wakes with its old state.
  - {at: 5m45s, kind: pause, leader_of: {channel: channel2, org: org2}}
  - {at: 6m45s, kind: resume}
  # One host's clock runs 2% fast from here on.
  - {at: 7m, kind: skew, peer: peer3.org3, rate: 1.02}
)";
  return kDefault;
}

Scenario default_scenario() {
  return load_scenario_string(default_scenario_yaml(), "<default scenario>");
}

Scenario random_scenario(std::uint64_t seed) {
  using std::chrono::milliseconds;
  std::mt19937_64 random(seed ^ 0x5ce7a410'c0ffee00ULL);
  auto between = [&](std::int64_t low, std::int64_t high) {
    return draw_between(random, low, high);
  };
  auto ms_between = [&](std::int64_t low, std::int64_t high) {
    return Duration(milliseconds(between(low, high)));
  };
  auto chance = [&](double p) { return draw_chance(random, p); };

  Scenario s;
  s.name = fmt::format("explore-{}", seed);
  s.seed = seed;

  const int org_count = static_cast<int>(between(1, 4));
  for (int i = 1; i <= org_count; ++i) {
    s.orgs.push_back(OrgSpec{fmt::format("org{}", i), fmt::format("Org{}MSP", i),
                             static_cast<int>(between(1, 8))});
  }
  const int channel_count = static_cast<int>(between(1, 3));
  for (int c = 1; c <= channel_count; ++c) {
    ChannelSpec channel{fmt::format("channel{}", c), {}};
    for (const OrgSpec& org : s.orgs) {
      if (chance(0.6)) channel.orgs.push_back(org.name);
    }
    if (channel.orgs.empty())
      channel.orgs.push_back(s.orgs[draw_below(random, s.orgs.size())].name);
    s.channels.push_back(std::move(channel));
  }
  for (const OrgSpec& org : s.orgs) {  // every org in some channel
    const bool member = std::any_of(s.channels.begin(), s.channels.end(), [&](const auto& c) {
      return std::find(c.orgs.begin(), c.orgs.end(), org.name) != c.orgs.end();
    });
    if (!member) s.channels[draw_below(random, s.channels.size())].orgs.push_back(org.name);
  }
  for (ChannelSpec& channel : s.channels) {  // in network order, as a reader expects
    std::sort(channel.orgs.begin(), channel.orgs.end());
  }
  // A few peers join only some of their org's channels.
  for (const PeerSpec& peer : scenario_peers(s)) {
    if (peer.channels.size() < 2 || !chance(0.15)) continue;
    std::vector<std::string> subset;
    for (const std::string& channel : peer.channels) {
      if (chance(0.5)) subset.push_back(channel);
    }
    if (subset.empty()) subset.push_back(peer.channels.front());
    s.joins[peer.name] = subset;
  }
  s.start_spread = ms_between(0, 500);

  // Fast timings: every gossip and election period about a tenth of Fabric's.
  config::GossipSettings& g = s.settings.gossip;
  g = config::default_core_config().gossip;
  g.use_leader_election = true;
  g.org_leader = false;
  g.election.startup_grace_period = milliseconds(1000);
  g.election.membership_sample_interval = milliseconds(100);
  g.election.leader_alive_threshold = milliseconds(1000);
  g.election.leader_election_duration = milliseconds(500);
  g.alive_time_interval = milliseconds(500);
  g.alive_expiration_timeout = milliseconds(2500);
  g.reconnect_interval = milliseconds(2500);
  g.pull_interval = milliseconds(500);
  g.publish_state_info_interval = milliseconds(500);
  g.request_state_info_interval = milliseconds(500);

  s.link.latency = ms_between(1, 10);
  s.link.jitter = ms_between(0, 10);
  s.link.loss = chance(0.5) ? static_cast<double>(between(1, 50)) / 1000 : 0.0;
  s.link.duplicate = chance(0.3) ? static_cast<double>(between(1, 50)) / 1000 : 0.0;

  // Fault episodes; each one that takes something away also undoes it (except
  // crashes, which may stay), so the network can settle after the last fault.
  const std::vector<PeerSpec> peers = scenario_peers(s);
  auto any_peer = [&] { return peers[draw_below(random, peers.size())].name; };
  auto any_group = [&] {
    const ChannelSpec& channel = s.channels[draw_below(random, s.channels.size())];
    return LeaderOf{channel.name, channel.orgs[draw_below(random, channel.orgs.size())]};
  };
  auto target = [&](Fault& f) {
    if (chance(0.5)) {
      f.leader_of = any_group();
    } else {
      f.peers = {any_peer()};
    }
  };
  const int episodes = static_cast<int>(between(1, 5));
  for (int e = 0; e < episodes; ++e) {
    Fault f;
    f.at = ms_between(2000, 12000);
    switch (draw_below(random, 6)) {
      case 0:
      case 1: {
        f.kind = FaultKind::kCrash;
        target(f);
        s.faults.push_back(f);
        // A peer may stay down for good, unless it is a bootstrap peer (peer0 or
        // peer1 of its org) or unknown yet (leader_of): a peer that restarts
        // with its bootstrap peer gone, unknown to the others, stays alone for
        // ever in Fabric too, and the settled-state checks assume it cannot.
        const bool may_stay_down = !f.leader_of && !f.peers.front().starts_with("peer0.") &&
                                   !f.peers.front().starts_with("peer1.");
        if (!may_stay_down || chance(0.7)) {
          Fault restart;
          restart.kind = FaultKind::kRestart;
          restart.at = f.at + ms_between(500, 5000);
          if (!f.leader_of) restart.peers = f.peers;  // else: every crashed peer
          s.faults.push_back(restart);
        }
        break;
      }
      case 2: {
        f.kind = FaultKind::kPause;
        target(f);
        s.faults.push_back(f);
        Fault resume;
        resume.kind = FaultKind::kResume;
        resume.at = f.at + ms_between(300, 5000);
        if (!f.leader_of) resume.peers = f.peers;
        s.faults.push_back(resume);
        break;
      }
      case 3: {
        f.kind = FaultKind::kPartition;
        f.name = fmt::format("p{}", e);
        if (chance(0.25)) {
          for (const PeerSpec& peer : peers) {
            (chance(0.3) ? f.one_way_from : f.one_way_to).push_back(peer.name);
          }
          if (f.one_way_from.empty()) {
            f.one_way_from.push_back(f.one_way_to.back());
            f.one_way_to.pop_back();
          }
          if (f.one_way_to.empty()) break;  // a single peer: nothing to cut
        } else {
          const int side_count = static_cast<int>(between(2, 3));
          std::vector<std::vector<std::string>> sides(static_cast<std::size_t>(side_count));
          for (const PeerSpec& peer : peers) {
            sides[draw_below(random, sides.size())].push_back(peer.name);
          }
          for (int i = 0; i < side_count; ++i) {
            if (!sides[static_cast<std::size_t>(i)].empty()) {
              f.sides.emplace_back(fmt::format("side{}", i), sides[static_cast<std::size_t>(i)]);
            }
          }
          if (f.sides.empty()) break;
        }
        s.faults.push_back(f);
        Fault heal;
        heal.kind = FaultKind::kHeal;
        heal.name = f.name;
        heal.at = f.at + ms_between(1000, 5000);
        s.faults.push_back(heal);
        break;
      }
      case 4:
        f.kind = FaultKind::kSkew;
        target(f);
        f.rate = static_cast<double>(between(950, 1050)) / 1000;
        s.faults.push_back(f);
        break;
      default:
        f.kind = FaultKind::kLink;
        f.link.loss = static_cast<double>(between(0, 50)) / 1000;
        if (chance(0.5)) f.link.latency = ms_between(1, 20);
        s.faults.push_back(f);
        break;
    }
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const Fault& a, const Fault& b) { return a.at < b.at; });
  Duration last_fault{0};
  for (const Fault& f : s.faults) last_fault = std::max(last_fault, f.at);
  // Settle, then leave room for the invariant checks and their confirmation;
  // whole seconds read better.
  const Duration end =
      last_fault + settling_time(s) + transient_allowance(s) + std::chrono::seconds(2);
  s.duration = std::chrono::ceil<std::chrono::seconds>(end);
  validate_scenario(s, s.name);
  return s;
}

}  // namespace fabnet::sim
