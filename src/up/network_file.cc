#include "up/network_file.h"

#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>

#include "config/duration.h"

namespace fabnet::up {
namespace {

constexpr std::string_view kDefault =
    R"(# fabnet up's default network (docs/up.md): what `fabnet up` runs without a file.
orgs:
  - {name: Org1, peers: 3}
  - {name: Org2, peers: 3}
  - {name: Org3, peers: 3}
channels:
  - {name: channel1}
  - {name: channel2}
election:
  startupGracePeriod: 15s
  membershipSampleInterval: 1s
  leaderAliveThreshold: 10s
  leaderElectionDuration: 5s
gossip:
  aliveTimeInterval: 5s
  aliveExpirationTimeout: 25s
  reconnectInterval: 25s
orderer:
  BatchTimeout: 2s
  MaxMessageCount: 10
load:
  rate: 10
  size: 1024
tls: true
ports:
  base: 7050
)";

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view source) : source_(source) {}

  [[noreturn]] void fail(const std::string& key, const std::string& what) const {
    throw UpConfigError(fmt::format("{}: {}: {}", source_, key, what));
  }

  std::string shown(const YAML::Node& node) const {
    if (node.IsScalar()) return fmt::format("{:?}", node.Scalar());
    if (node.IsSequence()) return "a list";
    if (node.IsMap()) return "a mapping";
    return "nothing";
  }

  void only_keys(const YAML::Node& map, const std::string& key,
                 std::initializer_list<std::string_view> allowed) const {
    if (!map.IsMap()) fail(key, fmt::format("{} is not a mapping", shown(map)));
    for (const auto& entry : map) {
      const std::string name = entry.first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), name) == allowed.end())
        fail(key.empty() ? name : key + "." + name,
             fmt::format("unknown key; expected one of {}", fmt::join(allowed, ", ")));
    }
  }

  std::string text(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar() || node.Scalar().empty())
      fail(key, fmt::format("{} is not a name; expected a non-empty string", shown(node)));
    const std::string value = node.Scalar();
    for (char c : value)
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_')
        fail(key, fmt::format("{:?} has {:?}; expected letters, digits, '-' and '_'", value,
                              std::string(1, c)));
    return value;
  }

  long long integer(const YAML::Node& node, const std::string& key, long long low,
                    long long high) const {
    long long value = 0;
    std::size_t used = 0;
    bool ok = node.IsScalar();
    if (ok) {
      try {
        value = std::stoll(node.Scalar(), &used);
      } catch (const std::exception&) {
        ok = false;
      }
      ok = ok && used == node.Scalar().size();
    }
    if (!ok)
      fail(key, fmt::format("{} is not a whole number; expected {}..{}", shown(node), low, high));
    if (value < low || value > high)
      fail(key, fmt::format("{} is out of range; expected {}..{}", value, low, high));
    return value;
  }

  double number(const YAML::Node& node, const std::string& key, double low, double high) const {
    double value = 0;
    std::size_t used = 0;
    bool ok = node.IsScalar();
    if (ok) {
      try {
        value = std::stod(node.Scalar(), &used);
      } catch (const std::exception&) {
        ok = false;
      }
      ok = ok && used == node.Scalar().size();
    }
    if (!ok) fail(key, fmt::format("{} is not a number; expected {}..{}", shown(node), low, high));
    if (value < low || value > high)
      fail(key, fmt::format("{} is out of range; expected {}..{}", node.Scalar(), low, high));
    return value;
  }

  std::chrono::nanoseconds duration(const YAML::Node& node, const std::string& key) const {
    if (!node.IsScalar())
      fail(key, fmt::format("{} is not a duration; expected e.g. 5s", shown(node)));
    std::chrono::nanoseconds d{};
    try {
      d = config::parse_go_duration(node.Scalar());
    } catch (const config::DurationError& e) {
      fail(key, fmt::format("{:?} is not a Go duration ({}); expected e.g. 500ms, 5s, 1m",
                            node.Scalar(), e.what()));
    }
    if (d <= std::chrono::nanoseconds::zero())
      fail(key, fmt::format("{:?} is not positive; expected e.g. 500ms, 5s", node.Scalar()));
    return d;
  }

  bool boolean(const YAML::Node& node, const std::string& key) const {
    if (node.IsScalar()) {
      const std::string v = lower(node.Scalar());
      if (v == "true" || v == "yes" || v == "on") return true;
      if (v == "false" || v == "no" || v == "off") return false;
    }
    fail(key, fmt::format("{} is not a boolean; expected true or false", shown(node)));
  }

 private:
  std::string source_;
};

}  // namespace

std::string NetworkFile::Org::domain() const {
  return lower(name) + ".example.com";
}
std::string NetworkFile::Org::node_suffix() const {
  return lower(name);
}

const NetworkFile::Org* NetworkFile::find_org(std::string_view name) const {
  for (const Org& org : orgs)
    if (org.name == name) return &org;
  return nullptr;
}

int NetworkFile::peer_count() const {
  int n = 0;
  for (const Org& org : orgs) n += org.peers;
  return n;
}

std::string_view default_network_text() {
  return kDefault;
}

NetworkFile parse_network_file(std::string_view yaml_text, std::string_view source) {
  const Parser p(source);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    p.fail(fmt::format("line {}", e.mark.line + 1), fmt::format("not YAML: {}", e.msg));
  }
  NetworkFile net;
  net.source = std::string(source);
  if (!root.IsMap()) p.fail("(top level)", "expected a mapping with orgs: and channels:");
  p.only_keys(root, "",
              {"orgs", "channels", "election", "gossip", "orderer", "load", "tls", "ports"});

  const YAML::Node orgs = root["orgs"];
  if (!orgs) p.fail("orgs", "missing; expected a list such as [{name: Org1, peers: 3}]");
  if (!orgs.IsSequence() || orgs.size() == 0)
    p.fail("orgs", fmt::format("{} is not a non-empty list of orgs", p.shown(orgs)));
  if (orgs.size() > 20) p.fail("orgs", fmt::format("{} orgs; expected at most 20", orgs.size()));
  std::set<std::string> org_keys;
  for (std::size_t i = 0; i < orgs.size(); ++i) {
    const std::string key = fmt::format("orgs[{}]", i);
    p.only_keys(orgs[i], key, {"name", "peers"});
    NetworkFile::Org org;
    if (!orgs[i]["name"]) p.fail(key + ".name", "missing; expected e.g. Org1");
    org.name = p.text(orgs[i]["name"], key + ".name");
    if (!org_keys.insert(lower(org.name)).second)
      p.fail(key + ".name",
             fmt::format("{:?} appears twice (names are case-insensitive)", org.name));
    if (orgs[i]["peers"])
      org.peers = static_cast<int>(p.integer(orgs[i]["peers"], key + ".peers", 1, 20));
    net.orgs.push_back(org);
  }

  const YAML::Node channels = root["channels"];
  if (!channels) p.fail("channels", "missing; expected a list such as [{name: channel1}]");
  if (!channels.IsSequence() || channels.size() == 0)
    p.fail("channels", fmt::format("{} is not a non-empty list of channels", p.shown(channels)));
  std::set<std::string> channel_names;
  for (std::size_t i = 0; i < channels.size(); ++i) {
    const std::string key = fmt::format("channels[{}]", i);
    p.only_keys(channels[i], key, {"name", "orgs"});
    NetworkFile::Channel channel;
    if (!channels[i]["name"]) p.fail(key + ".name", "missing; expected e.g. channel1");
    channel.name = lower(p.text(channels[i]["name"], key + ".name"));
    if (channel.name != channels[i]["name"].Scalar())
      p.fail(key + ".name", fmt::format("{:?} has capitals; Fabric channel names are lower case",
                                        channels[i]["name"].Scalar()));
    if (!channel_names.insert(channel.name).second)
      p.fail(key + ".name", fmt::format("{:?} appears twice", channel.name));
    if (const YAML::Node members = channels[i]["orgs"]) {
      if (!members.IsSequence() || members.size() == 0)
        p.fail(key + ".orgs",
               fmt::format("{} is not a non-empty list of org names", p.shown(members)));
      for (std::size_t j = 0; j < members.size(); ++j) {
        const std::string mkey = fmt::format("{}.orgs[{}]", key, j);
        const std::string name = p.text(members[j], mkey);
        if (!net.find_org(name)) p.fail(mkey, fmt::format("{:?} is not an org of orgs:", name));
        if (std::find(channel.orgs.begin(), channel.orgs.end(), name) != channel.orgs.end())
          p.fail(mkey, fmt::format("{:?} appears twice", name));
        channel.orgs.push_back(name);
      }
    } else {
      for (const auto& org : net.orgs) channel.orgs.push_back(org.name);
    }
    net.channels.push_back(channel);
  }

  if (const YAML::Node e = root["election"]) {
    p.only_keys(e, "election",
                {"startupGracePeriod", "membershipSampleInterval", "leaderAliveThreshold",
                 "leaderElectionDuration"});
    auto& t = net.timings;
    if (e["startupGracePeriod"])
      t.startup_grace = p.duration(e["startupGracePeriod"], "election.startupGracePeriod");
    if (e["membershipSampleInterval"])
      t.membership_sample =
          p.duration(e["membershipSampleInterval"], "election.membershipSampleInterval");
    if (e["leaderAliveThreshold"])
      t.leader_alive_threshold =
          p.duration(e["leaderAliveThreshold"], "election.leaderAliveThreshold");
    if (e["leaderElectionDuration"])
      t.leader_election_duration =
          p.duration(e["leaderElectionDuration"], "election.leaderElectionDuration");
  }
  if (const YAML::Node g = root["gossip"]) {
    p.only_keys(g, "gossip", {"aliveTimeInterval", "aliveExpirationTimeout", "reconnectInterval"});
    auto& t = net.timings;
    if (g["aliveTimeInterval"])
      t.alive_interval = p.duration(g["aliveTimeInterval"], "gossip.aliveTimeInterval");
    if (g["aliveExpirationTimeout"])
      t.alive_expiration = p.duration(g["aliveExpirationTimeout"], "gossip.aliveExpirationTimeout");
    if (g["reconnectInterval"])
      t.reconnect_interval = p.duration(g["reconnectInterval"], "gossip.reconnectInterval");
    if (t.alive_expiration <= t.alive_interval)
      p.fail("gossip.aliveExpirationTimeout",
             fmt::format("{} is not longer than aliveTimeInterval {}; a live peer would expire",
                         config::format_duration(t.alive_expiration),
                         config::format_duration(t.alive_interval)));
  }
  if (const YAML::Node o = root["orderer"]) {
    p.only_keys(o, "orderer", {"BatchTimeout", "MaxMessageCount"});
    if (o["BatchTimeout"])
      net.orderer.batch_timeout = p.duration(o["BatchTimeout"], "orderer.BatchTimeout");
    if (o["MaxMessageCount"])
      net.orderer.max_message_count =
          static_cast<int>(p.integer(o["MaxMessageCount"], "orderer.MaxMessageCount", 1, 10000));
  }
  if (const YAML::Node l = root["load"]) {
    p.only_keys(l, "load", {"rate", "size"});
    if (l["rate"]) net.load.rate = p.number(l["rate"], "load.rate", 0, 10000);
    if (l["size"])
      net.load.size = static_cast<int>(p.integer(l["size"], "load.size", 0, 1024 * 1024));
  }
  if (const YAML::Node t = root["tls"]) {
    if (t.IsMap()) {
      p.only_keys(t, "tls", {"enabled", "clientAuthRequired"});
      if (t["enabled"]) net.tls = p.boolean(t["enabled"], "tls.enabled");
      if (t["clientAuthRequired"])
        net.tls_client_auth = p.boolean(t["clientAuthRequired"], "tls.clientAuthRequired");
      if (net.tls_client_auth && !net.tls)
        p.fail("tls.clientAuthRequired", "true needs tls.enabled: true");
    } else {
      net.tls = p.boolean(t, "tls");
    }
  }
  if (const YAML::Node ports = root["ports"]) {
    p.only_keys(ports, "ports", {"base"});
    if (ports["base"])
      net.ports_base = static_cast<int>(p.integer(ports["base"], "ports.base", 1024, 65535));
  }
  if (net.ports_base + net.port_count() - 1 > 65535)
    p.fail("ports.base", fmt::format("{} leaves no room for {} ports; expected at most {}",
                                     net.ports_base, net.port_count(), 65536 - net.port_count()));
  return net;
}

NetworkFile load_network_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UpConfigError(fmt::format("{}: cannot read the file", path));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_network_file(text.str(), path);
}

NetworkFile default_network() {
  return parse_network_file(kDefault, "<default network>");
}

}  // namespace fabnet::up
