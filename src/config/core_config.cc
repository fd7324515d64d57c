#include "config/core_config.h"

#include <charconv>

#include "config/yaml_text.h"

#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "config/duration.h"

extern char** environ;  // POSIX; not declared by every libc header

namespace fabnet::config {

ConfigError::ConfigError(std::string source, std::string key, std::string value,
                         std::string problem, std::string expected)
    : std::runtime_error(fmt::format("{}{}{}: {}{}{}", source, key.empty() ? "" : ": ", key,
                                     problem, expected.empty() ? "" : "; expected ", expected)),
      source_(std::move(source)),
      key_(std::move(key)),
      value_(std::move(value)),
      expected_(std::move(expected)) {}

Environment process_environment() {
  Environment env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    if (!kv.starts_with("CORE_")) continue;
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

namespace {

using std::chrono::nanoseconds;

constexpr std::string_view kKeyUseLeaderElection = "peer.gossip.useLeaderElection";
constexpr std::string_view kKeyOrgLeader = "peer.gossip.orgLeader";
constexpr std::string_view kExpectDuration = "a positive Go duration such as 10s, 500ms or 1m30s";
constexpr std::string_view kExpectBool =
    "a boolean: true, false, True, False, TRUE, FALSE, t, f, T, F, 1 or 0";
constexpr std::string_view kExpectString = "a single string value";
constexpr std::string_view kExpectBootstrap =
    "a host:port string, several separated by spaces, or a YAML list of them";

void throw_both_leader_flags(std::string source, std::string_view where_election,
                             std::string_view where_leader) {
  throw ConfigError(std::move(source),
                    fmt::format("{} and {}", kKeyUseLeaderElection, kKeyOrgLeader), "true",
                    fmt::format("both are true ({} from {}, {} from {})", kKeyUseLeaderElection,
                                where_election, kKeyOrgLeader, where_leader),
                    "at most one of them true: useLeaderElection for dynamic election, orgLeader "
                    "for a static leader, neither for a static follower");
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::vector<std::string> split_fields(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

// Walks the YAML tree by dotted key path and consults CORE_* overrides first,
// following viper: env wins, keys match case-insensitively, null/empty = unset.
class Reader : public SettingsReader {
 public:
  Reader(YAML::Node root, const Environment& env, std::string source)
      : SettingsReader(std::move(root), env, std::move(source), "CORE_") {}
};

void read_string(const Reader& r, std::string_view key, std::string& out) {
  if (auto raw = r.scalar(key, kExpectString)) out = raw->text;
}

// Returns where the value came from, or "" when unset.
std::string read_bool(const Reader& r, std::string_view key, bool& out) {
  auto raw = r.scalar(key, kExpectBool);
  if (!raw) return "";
  // Exactly Go's strconv.ParseBool set.
  static constexpr std::string_view kTrue[] = {"1", "t", "T", "TRUE", "true", "True"};
  static constexpr std::string_view kFalse[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (auto t : kTrue) {
    if (raw->text == t) {
      out = true;
      return raw->where;
    }
  }
  for (auto f : kFalse) {
    if (raw->text == f) {
      out = false;
      return raw->where;
    }
  }
  throw ConfigError(raw->where, std::string(key), raw->text,
                    fmt::format("invalid boolean \"{}\"", raw->text), std::string(kExpectBool));
}

// Returns true when the key was set.
bool read_duration(const Reader& r, std::string_view key, nanoseconds& out) {
  auto raw = r.scalar(key, kExpectDuration);
  if (!raw) return false;
  nanoseconds d{};
  try {
    d = parse_go_duration(raw->text);
  } catch (const DurationError& e) {
    throw ConfigError(raw->where, std::string(key), raw->text,
                      fmt::format("invalid duration \"{}\": {}", raw->text, e.what()),
                      std::string(kExpectDuration));
  }
  // Deliberately no "0 means default" (Fabric's GetDurationOrDefault): a zero
  // here is almost always a typo and would silently change timing.
  if (d <= nanoseconds::zero()) {
    throw ConfigError(raw->where, std::string(key), raw->text,
                      fmt::format("invalid duration \"{}\": must be greater than zero", raw->text),
                      std::string(kExpectDuration));
  }
  out = d;
  return true;
}

void read_bootstrap(const Reader& r, std::string_view key, std::vector<std::string>& out) {
  const YAML::Node n = r.node(key);
  if (auto e = r.from_env(key)) {
    out = split_fields(e->text);  // viper's GetStringSlice splits env values on whitespace
    return;
  }
  if (!n.IsDefined()) return;
  if (n.IsScalar()) {
    out = split_fields(n.Scalar());
    return;
  }
  if (!n.IsSequence()) throw r.type_error(n, std::string(key), kExpectBootstrap);
  std::vector<std::string> list;
  for (const YAML::Node& item : n) {
    if (!item.IsScalar() || item.Scalar().empty()) {
      throw r.type_error(item, std::string(key), kExpectBootstrap);
    }
    list.push_back(item.Scalar());
  }
  out = std::move(list);
}

// A positive integer; like the durations, zero is refused rather than read as
// Fabric's "use the default".
bool read_positive_int(const Reader& r, std::string_view key, int& out) {
  static constexpr std::string_view kExpectCount = "a positive whole number such as 3 or 200";
  auto raw = r.scalar(key, kExpectCount);
  if (!raw) return false;
  int value = 0;
  const char* begin = raw->text.data();
  const char* end = begin + raw->text.size();
  const auto [ptr, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || ptr != end || value <= 0) {
    throw ConfigError(raw->where, std::string(key), raw->text,
                      fmt::format("invalid number \"{}\"", raw->text), std::string(kExpectCount));
  }
  out = value;
  return true;
}

void read_address_overrides(const Reader& r, std::string_view key,
                            std::vector<OrdererAddressOverride>& out) {
  static constexpr std::string_view kExpectOverrides =
      "a list of mappings with from, to and optionally caCertsFile";
  const YAML::Node n = r.node(key);
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) throw r.type_error(n, std::string(key), kExpectOverrides);
  std::vector<OrdererAddressOverride> list;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node item = n[i];
    const std::string item_key = fmt::format("{}[{}]", key, i);
    if (!item.IsMap()) throw r.type_error(item, item_key, kExpectOverrides);
    OrdererAddressOverride o;
    for (auto it = item.begin(); it != item.end(); ++it) {
      const std::string name = it->first.IsScalar() ? lower(it->first.Scalar()) : std::string();
      std::string* field = name == "from"          ? &o.from
                           : name == "to"          ? &o.to
                           : name == "cacertsfile" ? &o.ca_certs_file
                                                   : nullptr;
      if (field == nullptr) continue;  // viper ignores unknown keys; so do we
      const std::string field_key = fmt::format("{}.{}", item_key, it->first.Scalar());
      if (it->second.IsNull()) continue;
      if (!it->second.IsScalar()) throw r.type_error(it->second, field_key, kExpectString);
      *field = it->second.Scalar();
    }
    if (o.from.empty() || o.to.empty()) {
      throw ConfigError(r.where(item), item_key, "",
                        o.from.empty() ? "override without `from`" : "override without `to`",
                        "both from (the endpoint in the channel definitions) and to (the "
                        "endpoint to dial instead), as host:port");
    }
    list.push_back(std::move(o));
  }
  out = std::move(list);
}

// A list of file paths (clientRootCAs.files): a YAML list, or one string whose
// whitespace-separated fields are the paths (as viper reads a list from the environment).
void read_file_list(const Reader& r, std::string_view key, std::vector<std::string>& out) {
  static constexpr std::string_view kExpectFiles =
      "a list of file paths, or paths separated by spaces";
  const YAML::Node n = r.node(key);
  if (auto e = r.from_env(key)) {
    out = split_fields(e->text);
    return;
  }
  if (!n.IsDefined()) return;
  if (n.IsScalar()) {
    out = split_fields(n.Scalar());
    return;
  }
  if (!n.IsSequence()) throw r.type_error(n, std::string(key), kExpectFiles);
  std::vector<std::string> list;
  for (const YAML::Node& item : n) {
    if (item.IsNull()) continue;
    if (!item.IsScalar()) throw r.type_error(item, std::string(key), kExpectFiles);
    if (!item.Scalar().empty()) list.push_back(item.Scalar());
  }
  out = std::move(list);
}

void read_tls(const Reader& r, PeerTlsSettings& t, OperationsTlsSettings& o) {
  t.enabled_from = read_bool(r, "peer.tls.enabled", t.enabled);
  read_bool(r, "peer.tls.clientAuthRequired", t.client_auth_required);
  read_string(r, "peer.tls.cert.file", t.cert_file);
  read_string(r, "peer.tls.key.file", t.key_file);
  read_string(r, "peer.tls.rootcert.file", t.root_cert_file);
  read_file_list(r, "peer.tls.clientRootCAs.files", t.client_root_cas);
  read_string(r, "peer.tls.clientCert.file", t.client_cert_file);
  read_string(r, "peer.tls.clientKey.file", t.client_key_file);
  read_bool(r, "operations.tls.enabled", o.enabled);
  read_bool(r, "operations.tls.clientAuthRequired", o.client_auth_required);
  read_string(r, "operations.tls.cert.file", o.cert_file);
  read_string(r, "operations.tls.key.file", o.key_file);
  read_file_list(r, "operations.tls.clientRootCAs.files", o.client_root_cas);
}

CoreConfig extract(const Reader& r) {
  CoreConfig c;
  c.source = r.source();
  read_string(r, "peer.id", c.peer_id);
  read_string(r, "peer.networkId", c.network_id);
  read_string(r, "peer.listenAddress", c.listen_address);
  read_string(r, "peer.address", c.address);
  read_string(r, "peer.localMspId", c.local_msp_id);
  read_string(r, "peer.mspConfigPath", c.msp_config_path);
  read_string(r, "operations.listenAddress", c.operations_listen_address);
  read_string(r, "peer.fileSystemPath", c.file_system_path);

  DeliveryClientSettings& d = c.delivery_client;
  read_duration(r, "peer.deliveryclient.reconnectTotalTimeThreshold",
                d.reconnect_total_time_threshold);
  read_duration(r, "peer.deliveryclient.reConnectBackoffThreshold", d.reconnect_backoff_threshold);
  read_duration(r, "peer.deliveryclient.connTimeout", d.conn_timeout);
  read_bool(r, "peer.deliveryclient.blockGossipEnabled", d.block_gossip_enabled);
  read_address_overrides(r, "peer.deliveryclient.addressOverrides", d.address_overrides);

  GossipSettings& g = c.gossip;
  read_bootstrap(r, "peer.gossip.bootstrap", g.bootstrap);
  const std::string election_from = read_bool(r, kKeyUseLeaderElection, g.use_leader_election);
  const std::string leader_from = read_bool(r, kKeyOrgLeader, g.org_leader);
  if (g.use_leader_election && g.org_leader) {
    throw_both_leader_flags(r.source(), election_from, leader_from);
  }
  read_string(r, "peer.gossip.endpoint", g.endpoint);
  read_string(r, "peer.gossip.externalEndpoint", g.external_endpoint);

  election::ElectionTimings& t = g.election;
  read_duration(r, "peer.gossip.election.startupGracePeriod", t.startup_grace_period);
  read_duration(r, "peer.gossip.election.membershipSampleInterval", t.membership_sample_interval);
  read_duration(r, "peer.gossip.election.leaderAliveThreshold", t.leader_alive_threshold);
  read_duration(r, "peer.gossip.election.leaderElectionDuration", t.leader_election_duration);

  // Fabric derives each default from the previous value actually in effect.
  read_duration(r, "peer.gossip.aliveTimeInterval", g.alive_time_interval);
  if (!read_duration(r, "peer.gossip.aliveExpirationTimeout", g.alive_expiration_timeout)) {
    g.alive_expiration_timeout = 5 * g.alive_time_interval;
  }
  if (!read_duration(r, "peer.gossip.reconnectInterval", g.reconnect_interval)) {
    g.reconnect_interval = g.alive_expiration_timeout;
  }
  read_duration(r, "peer.gossip.pullInterval", g.pull_interval);
  read_duration(r, "peer.gossip.publishStateInfoInterval", g.publish_state_info_interval);
  read_duration(r, "peer.gossip.requestStateInfoInterval", g.request_state_info_interval);
  read_duration(r, "peer.gossip.publishCertPeriod", g.publish_cert_period);
  read_duration(r, "peer.gossip.dialTimeout", g.dial_timeout);
  read_duration(r, "peer.gossip.connTimeout", g.conn_timeout);
  read_positive_int(r, "peer.gossip.pullPeerNum", g.pull_peer_num);
  read_positive_int(r, "peer.gossip.propagatePeerNum", g.propagate_peer_num);
  read_duration(r, "peer.gossip.digestWaitTime", g.digest_wait_time);
  read_duration(r, "peer.gossip.requestWaitTime", g.request_wait_time);
  read_duration(r, "peer.gossip.responseWaitTime", g.response_wait_time);
  read_positive_int(r, "peer.gossip.maxBlockCountToStore", g.max_block_count_to_store);
  read_positive_int(r, "peer.gossip.maxPropagationBurstSize", g.max_propagation_burst_size);
  read_duration(r, "peer.gossip.maxPropagationBurstLatency", g.max_propagation_burst_latency);
  read_bool(r, "peer.gossip.state.enabled", g.state_enabled);
  read_duration(r, "peer.gossip.state.checkInterval", g.state_check_interval);
  read_duration(r, "peer.gossip.state.responseTimeout", g.state_response_timeout);
  read_positive_int(r, "peer.gossip.state.batchSize", g.state_batch_size);
  read_positive_int(r, "peer.gossip.state.blockBufferSize", g.state_block_buffer_size);
  read_positive_int(r, "peer.gossip.state.maxRetries", g.state_max_retries);
  read_positive_int(r, "peer.gossip.sendBuffSize", g.send_buff_size);
  read_positive_int(r, "peer.gossip.recvBuffSize", g.recv_buff_size);
  read_tls(r, c.tls, c.operations_tls);
  return c;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

std::string read_file(const std::filesystem::path& path) {
  const std::string name = path.string();
  constexpr std::string_view kExpect = "a readable core.yaml file";
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError(name, "", "", "cannot read configuration: is a directory",
                      std::string(kExpect));
  }
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(name.c_str(), "rb"));
  if (!f) {
    throw ConfigError(name, "", "",
                      fmt::format("cannot open configuration: {}", std::strerror(errno)),
                      std::string(kExpect));
  }
  std::string text;
  char buf[8192];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f.get())) > 0) text.append(buf, n);
  if (std::ferror(f.get())) {
    throw ConfigError(name, "", "",
                      fmt::format("cannot read configuration: {}", std::strerror(errno)),
                      std::string(kExpect));
  }
  return text;
}

}  // namespace

std::string DeliveryClientSettings::resolve(const std::string& endpoint) const {
  for (const OrdererAddressOverride& o : address_overrides)
    if (o.from == endpoint) return o.to;
  return endpoint;
}

election::LeaderMode GossipSettings::leader_mode() const {
  if (use_leader_election && org_leader) {
    throw_both_leader_flags("gossip settings", "use_leader_election", "org_leader");
  }
  if (use_leader_election) return election::LeaderMode::kDynamic;
  if (org_leader) return election::LeaderMode::kStaticLeader;
  return election::LeaderMode::kStaticFollower;
}

namespace {

// What fabnet reads: these sections whole, and these keys under peer.
constexpr std::string_view kUsedSections[] = {"operations", "metrics"};
constexpr std::string_view kUsedPeerKeys[] = {"id",
                                              "networkId",
                                              "listenAddress",
                                              "address",
                                              "localMspId",
                                              "mspConfigPath",
                                              "fileSystemPath",
                                              "gossip",
                                              "deliveryclient",
                                              "tls"};

void read_metrics_provider(const Reader& r, CoreConfig& c) {
  static constexpr std::string_view kExpect = "prometheus or disabled";
  auto raw = r.scalar("metrics.provider", kExpect);
  if (!raw) return;
  if (raw->text != "prometheus" && raw->text != "disabled") {
    throw ConfigError(raw->where, "metrics.provider", raw->text,
                      raw->text == "statsd"
                          ? "statsd is not supported by fabnet"
                          : fmt::format("unknown metrics provider \"{}\"", raw->text),
                      std::string(kExpect));
  }
  c.metrics_provider = raw->text;
}

std::vector<std::string> unused_keys(const YAML::Node& root) {
  std::vector<std::string> unused;
  if (!root.IsMap()) return unused;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (!it->first.IsScalar()) continue;
    const std::string section = it->first.Scalar();
    if (section == "peer" && it->second.IsMap()) {
      for (auto p = it->second.begin(); p != it->second.end(); ++p) {
        if (!p->first.IsScalar()) continue;
        const std::string key = "peer." + p->first.Scalar();
        if (!is_used_core_key(key)) unused.push_back(key);
      }
    } else if (!is_used_core_key(section)) {
      unused.push_back(section);
    }
  }
  return unused;
}

}  // namespace

bool is_used_core_key(std::string_view dotted_key) {
  const std::string_view section = dotted_key.substr(0, dotted_key.find('.'));
  for (std::string_view used : kUsedSections) {
    if (used == section) return true;
  }
  if (section != "peer") return false;
  if (dotted_key == "peer") return true;
  const std::string_view rest = dotted_key.substr(5);
  const std::string_view key = rest.substr(0, rest.find('.'));
  for (std::string_view used : kUsedPeerKeys) {
    if (used == key) return true;
  }
  return false;
}

CoreConfig load_core_config_string(std::string_view yaml_text, const Environment& env,
                                   std::string_view source_name) {
  const std::string source(source_name);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "", "",
                      fmt::format("malformed YAML: {}", e.msg), "a valid YAML document");
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, "", "", fmt::format("malformed YAML: {}", e.what()),
                      "a valid YAML document");
  }
  try {
    CoreConfig config = extract(Reader(root, env, source));
    read_metrics_provider(Reader(root, env, source), config);
    config.ignored_keys = unused_keys(root);
    return config;
  } catch (const YAML::Exception& e) {
    // Not expected with the checks above; never let yaml-cpp's type escape.
    throw ConfigError(source, "", "", fmt::format("unreadable YAML structure: {}", e.what()),
                      "a core.yaml mapping");
  }
}

CoreConfig load_core_config_file(const std::filesystem::path& path, const Environment& env) {
  return load_core_config_string(read_file(path), env, path.string());
}

CoreConfig default_core_config() {
  CoreConfig c;
  c.source = "<defaults>";
  return c;
}

std::filesystem::path find_config_file(std::string_view file_name, const char* fabric_cfg_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fabric_cfg_path != nullptr && *fabric_cfg_path != '\0') {
    const fs::path candidate = fs::path(fabric_cfg_path) / file_name;
    if (fs::is_regular_file(candidate, ec)) return candidate;
    throw ConfigError("FABRIC_CFG_PATH", "", fabric_cfg_path,
                      fmt::format("has no {} (looked for {})", file_name, candidate.string()),
                      fmt::format("the folder holding {}, or --config FILE", file_name));
  }
  const fs::path candidate = fs::current_path(ec) / file_name;
  if (fs::is_regular_file(candidate, ec)) return candidate;
  throw ConfigError(std::string(file_name), "", "",
                    fmt::format("not found: no --config, FABRIC_CFG_PATH unset, and no {} in the "
                                "working directory",
                                file_name),
                    fmt::format("--config FILE or FABRIC_CFG_PATH=<folder holding {}>", file_name));
}

}  // namespace fabnet::config
