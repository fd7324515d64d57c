#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/format.h>

#include "common/common.pb.h"
#include "config/core_config.h"
#include "config/duration.h"
#include "sim/scenario.h"
#include "sim/scenario_internal.h"

namespace fabnet::sim::detail {
namespace {

// Text quoted in a message: control and non-ASCII bytes escaped, at most 60
// characters, so a binary file is never echoed raw.
std::string printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
    if (out.size() > 60) return out.substr(0, 57) + "...";
  }
  return out;
}

std::string shown(const YAML::Node& n) {
  if (n.IsScalar()) return fmt::format("\"{}\"", printable(n.Scalar()));
  if (n.IsNull()) return "an empty value";
  YAML::Emitter out;
  out.SetMapFormat(YAML::Flow);
  out.SetSeqFormat(YAML::Flow);
  out << n;
  std::string text = printable(out.c_str());
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

// Syntax: YAML structure, types and values of single fields.
class Parser {
 public:
  Parser(std::string source, LineMap& lines)
      : source_(std::move(source)), lines_(lines), report_(source_, &lines_) {}

  Scenario parse(std::string_view text);

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

  LeaderOf leader_of(const YAML::Node& n, const std::string& path) {
    check_keys(n, path, {"channel", "org"});
    if (!n["channel"]) fail(n, child(path, "channel"), "missing", "a channel name");
    if (!n["org"]) fail(n, child(path, "org"), "missing", "an org name or MSP ID");
    return LeaderOf{scalar(n["channel"], child(path, "channel"), "a channel name"),
                    scalar(n["org"], child(path, "org"), "an org name or MSP ID")};
  }

  // A peer name, {leader_of: {channel, org}}, or a list of them.
  PeerSet peer_set(const YAML::Node& n, const std::string& path) {
    note(n, path);
    PeerSet set;
    const auto one = [&](const YAML::Node& e, const std::string& at) {
      if (e.IsMap()) {
        check_keys(e, at, {"leader_of"});
        if (!e["leader_of"]) fail(e, child(at, "leader_of"), "missing", kExpectPeerRef);
        set.leaders_of.push_back(leader_of(e["leader_of"], child(at, "leader_of")));
      } else {
        set.peers.push_back(scalar(e, at, kExpectPeerRef));
      }
    };
    if (n.IsSequence() && n.size() > 0) {
      for (std::size_t i = 0; i < n.size(); ++i) one(n[i], item(path, i));
    } else if (n.IsScalar() || n.IsMap()) {
      one(n, path);
    } else {
      fail(n, path, fmt::format("found {}", shown(n)), kExpectPeerRef);
    }
    return set;
  }
  static constexpr std::string_view kExpectStatus =
      "a refusal status of common.Status, such as SERVICE_UNAVAILABLE, FORBIDDEN, NOT_FOUND";
  static constexpr std::string_view kExpectPeerRef =
      "a peer name, {leader_of: {channel, org}}, or a list of them";

  void parse_network(const YAML::Node& n, Scenario& s);
  void parse_settings(const YAML::Node& n, Scenario& s);
  void parse_link(const YAML::Node& n, const std::string& path, LinkChange& out);
  Fault parse_fault(const YAML::Node& n, const std::string& path);
  void parse_blocks(const YAML::Node& n, BlockSpec& out);

  std::string source_;
  LineMap& lines_;
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
  if (!root.IsMap()) {
    throw ScenarioError(fmt::format(
        "{}: the top level is {}, not a mapping; expected a scenario with at least `network` "
        "(see docs/scenario-format.md)",
        source_, root.IsSequence() ? "a list" : "a single value"));
  }
  check_keys(root, "",
             {"name", "seed", "duration", "membership", "network", "settings", "link", "blocks",
              "faults"});
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
    const std::string text = scalar(root["seed"], "seed", kExpectSeed);
    const std::optional<std::uint64_t> seed = parse_seed(text);
    if (!seed) {
      fail(root["seed"], "seed",
           fmt::format("not an unsigned 64-bit integer: \"{}\"", printable(text)), kExpectSeed);
    }
    s.seed = *seed;
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
  if (const YAML::Node blocks = root["blocks"]; blocks && !blocks.IsNull()) {
    parse_blocks(blocks, s.blocks);
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
  check_keys(
      n, "network",
      {"orgs", "channels", "joins", "start_spread", "start_step", "start_at", "bootstrap_first"});
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
  if (n["start_step"]) s.start_step = duration(n["start_step"], "network.start_step", false);
  if (const YAML::Node at = n["start_at"]; at && !at.IsNull()) {
    note(at, "network.start_at");
    if (!at.IsMap()) {
      fail(at, "network.start_at", fmt::format("found {}", shown(at)),
           "a mapping from peer name to start time, e.g. {peer0.org1: 0s, peer1.org1: 1s}");
    }
    for (auto it = at.begin(); it != at.end(); ++it) {
      const std::string peer = scalar(it->first, "network.start_at", "a peer name");
      const std::string path = child("network.start_at", peer);
      note(it->first, path);
      s.start_at[peer] = duration(it->second, path, true);
    }
  }
  if (n["bootstrap_first"]) {
    const std::string text =
        scalar(n["bootstrap_first"], "network.bootstrap_first", "true or false");
    if (text != "true" && text != "false") {
      fail(n["bootstrap_first"], "network.bootstrap_first",
           fmt::format("not a boolean: \"{}\"", printable(text)), "true or false");
    }
    s.bootstrap_first = text == "true";
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
                                                   "maxConnectionAttempts",
                                                   "digestWaitTime",
                                                   "requestWaitTime",
                                                   "responseWaitTime",
                                                   "maxBlockCountToStore",
                                                   "state"};
const std::vector<std::string_view> kStateKeys = {"enabled",   "checkInterval",   "responseTimeout",
                                                  "batchSize", "blockBufferSize", "maxRetries"};
const std::vector<std::string_view> kDeliveryKeys = {"reconnectTotalTimeThreshold",
                                                     "reConnectBackoffThreshold"};
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
    s.settings.delivery = config::default_core_config().delivery_client;
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
    check_ci(peer, "settings.peer", {"gossip", "deliveryclient"});
    gossip = find_ci(peer, "gossip");
    if (const YAML::Node d = find_ci(peer, "deliveryclient"); d && !d.IsNull()) {
      check_ci(d, "settings.peer.deliveryclient", kDeliveryKeys);
    }
  }
  const std::string gossip_path = "settings.peer.gossip";
  if (gossip && !gossip.IsNull()) {
    check_ci(gossip, gossip_path, kGossipKeys);
    if (const YAML::Node election = find_ci(gossip, "election"); election && !election.IsNull()) {
      check_ci(election, child(gossip_path, "election"), kElectionKeys);
    }
    if (const YAML::Node state = find_ci(gossip, "state"); state && !state.IsNull()) {
      check_ci(state, child(gossip_path, "state"), kStateKeys);
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
    const config::CoreConfig core_config =
        config::load_core_config_string(out.c_str(), {}, source_);
    s.settings.gossip = core_config.gossip;
    s.settings.delivery = core_config.delivery_client;
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

// In FaultKind's order.
const std::vector<std::string_view> kFaultKinds = {
    "crash", "restart", "pause",        "resume",         "partition", "heal",
    "skew",  "link",    "orderer_down", "orderer_refuse", "orderer_up"};

std::vector<std::string_view> fault_keys(FaultKind kind) {
  switch (kind) {
    case FaultKind::kCrash:
    case FaultKind::kPause:
      return {"at", "kind", "peer", "peers", "leader_of"};
    case FaultKind::kRestart:
      return {"at", "kind", "peer", "peers", "empty_ledger"};
    case FaultKind::kResume:
      return {"at", "kind", "peer", "peers"};
    case FaultKind::kOrdererDown:
    case FaultKind::kOrdererUp:
      return {"at", "kind", "channel"};
    case FaultKind::kOrdererRefuse:
      return {"at", "kind", "channel", "status"};
    case FaultKind::kSkew:
      return {"at", "kind", "peer", "peers", "leader_of", "rate"};
    case FaultKind::kPartition:
      return {"at", "kind", "name", "sides", "one_way"};
    case FaultKind::kHeal:
      return {"at", "kind", "name"};
    case FaultKind::kLink:
      return {"at",        "kind", "latency", "jitter",    "loss",
              "duplicate", "peer", "peers",   "leader_of", "pair"};
  }
  return {};
}

void Parser::parse_blocks(const YAML::Node& n, BlockSpec& out) {
  const std::string path = "blocks";
  check_keys(n, path,
             {"rate", "envelopes", "envelope_bytes", "from", "until", "orderer_latency", "channels",
              "sample_interval"});
  out.enabled = true;
  if (n["rate"]) {
    const std::string at = child(path, "rate");
    out.rate = number(n["rate"], at, "blocks per second, above 0 and at most 10000");
    if (!(out.rate > 0 && out.rate <= 10000)) {
      fail(n["rate"], at, fmt::format("{} is out of range", out.rate),
           "blocks per second, above 0 and at most 10000");
    }
  }
  const auto whole = [&](const char* key, int low, int high, int& value) {
    if (!n[key]) return;
    const std::string at = child(path, key);
    const std::string expected = fmt::format("a whole number from {} to {}", low, high);
    const long long v = integer(n[key], at, expected);
    if (v < low || v > high) fail(n[key], at, fmt::format("{} is out of range", v), expected);
    value = static_cast<int>(v);
  };
  whole("envelopes", 1, 10000, out.envelopes);
  whole("envelope_bytes", 1, 10 * 1024 * 1024, out.envelope_bytes);
  if (n["from"]) out.from = duration(n["from"], child(path, "from"), true);
  if (n["until"]) out.until = duration(n["until"], child(path, "until"), true);
  if (n["orderer_latency"]) {
    out.orderer_latency = duration(n["orderer_latency"], child(path, "orderer_latency"), false);
  }
  if (n["sample_interval"]) {
    const std::string at = child(path, "sample_interval");
    out.sample_interval = duration(n["sample_interval"], at, false);
    if (out.sample_interval < std::chrono::milliseconds(10)) {
      fail(n["sample_interval"], at, "shorter than 10ms", "a duration of at least 10ms");
    }
  }
  if (n["channels"]) out.channels = names(n["channels"], child(path, "channels"), "channel names");
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
    f.leader_of = leader_of(lo, at);
  }
  if (const YAML::Node pair = n["pair"]) {
    const std::string at = child(path, "pair");
    note(pair, at);
    if (n["peer"] || n["peers"] || n["leader_of"]) {
      fail(pair, at, "given together with peer(s) or leader_of", "one of them");
    }
    if (!pair.IsSequence() || pair.size() != 2) {
      fail(pair, at, fmt::format("found {}", shown(pair)),
           "two peers, each a name or {leader_of: {channel, org}}");
    }
    for (std::size_t i = 0; i < 2; ++i) f.pair.push_back(peer_set(pair[i], item(at, i)));
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
        f.sides.emplace_back(side, peer_set(it->second, child(at, side)));
      }
    } else if (const YAML::Node one_way = n["one_way"]) {
      const std::string at = child(path, "one_way");
      check_keys(one_way, at, {"from", "to"});
      if (!one_way["from"]) fail(one_way, child(at, "from"), "missing", "a list of peer names");
      if (!one_way["to"]) fail(one_way, child(at, "to"), "missing", "a list of peer names");
      f.one_way_from = peer_set(one_way["from"], child(at, "from"));
      f.one_way_to = peer_set(one_way["to"], child(at, "to"));
    } else {
      fail(n, child(path, "sides"), "a partition needs `sides` or `one_way`",
           "sides: {a: [peers...], b: [peers...]} or one_way: {from: [peers...], to: [peers...]}");
    }
  }
  if (n["empty_ledger"]) {
    const std::string at = child(path, "empty_ledger");
    const std::string text = scalar(n["empty_ledger"], at, "true or false");
    if (text != "true" && text != "false") {
      fail(n["empty_ledger"], at, fmt::format("not a boolean: \"{}\"", printable(text)),
           "true or false");
    }
    f.empty_ledger = text == "true";
  }
  if (n["channel"]) f.channel = name(n["channel"], child(path, "channel"));
  if (n["status"]) {
    const std::string at = child(path, "status");
    f.status = scalar(n["status"], at, kExpectStatus);
    common::Status parsed{};
    if (!common::Status_Parse(f.status, &parsed) || parsed == common::SUCCESS ||
        parsed == common::UNKNOWN) {
      fail(n["status"], at, fmt::format("unknown or not a refusal: \"{}\"", printable(f.status)),
           kExpectStatus);
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

}  // namespace

Scenario parse_scenario(std::string_view text, std::string_view source, LineMap& lines) {
  Parser parser{std::string(source), lines};
  try {
    return parser.parse(text);
  } catch (const YAML::Exception& e) {
    // Not expected after the checks above; never let yaml-cpp's type escape.
    throw ScenarioError(fmt::format("{}: unreadable YAML structure: {}", source, e.what()));
  }
}

}  // namespace fabnet::sim::detail
