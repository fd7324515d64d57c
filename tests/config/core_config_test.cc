#include "config/core_config.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace fabnet::config {
namespace {

using namespace std::chrono_literals;
using election::LeaderMode;

const std::string kData = FABNET_TEST_DATA_DIR;
// The project's own core.yaml in Fabric's layout: always present.
const std::string kFixture = kData + "/core.yaml";
// Fabric's own sample files, in ../shared when the checkout has it beside.
const std::string kShared = FABNET_SHARED_DIR;
const std::string kV24 = kShared + "/data/fabric/core-v2.4.9.yaml";
const std::string kV31 = kShared + "/data/fabric/core-v3.1.5.yaml";

// Skips the calling test, naming the missing file, when a Fabric sample is absent.
#define SKIP_WITHOUT(path)                                                                   \
  if (!std::filesystem::is_regular_file(path))                                               \
  GTEST_SKIP() << "Fabric's sample " << (path)                                               \
               << " is not here (no ../shared beside this checkout); the project's fixture " \
               << kFixture << " covers the same keys"

// Line (1-based) of the first line of `path` containing `text`, as "path:line".
std::string line_of(const std::string& path, std::string_view text) {
  std::ifstream in(path);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n)
    if (line.find(text) != std::string::npos) return path + ":" + std::to_string(n);
  ADD_FAILURE() << text << " not in " << path;
  return path;
}

CoreConfig load(std::string_view yaml, const Environment& env = {}) {
  return load_core_config_string(yaml, env, "test.yaml");
}

// Runs fn, which must throw ConfigError, and checks the message holds every part.
ConfigError expect_error(const std::function<void()>& fn,
                         std::initializer_list<std::string_view> parts) {
  try {
    fn();
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    for (std::string_view p : parts) {
      EXPECT_NE(msg.find(p), std::string::npos) << "missing \"" << p << "\" in: " << msg;
    }
    return e;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
    return ConfigError("", "", "", "", "");
  }
  ADD_FAILURE() << "no error thrown";
  return ConfigError("", "", "", "", "");
}

// A scratch directory removed at the end of each test.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fabnet-config-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_ / "locked.yaml", std::filesystem::perms::owner_all, ec);
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path write(const std::string& name, std::string_view text) const {
    const auto p = path_ / name;
    std::ofstream(p) << text;
    return p;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

void expect_fabric_sample(const CoreConfig& c, const std::string& path) {
  EXPECT_EQ(c.source, path);
  EXPECT_EQ(c.peer_id, "jdoe");
  EXPECT_EQ(c.network_id, "dev");
  EXPECT_EQ(c.listen_address, "0.0.0.0:7051");
  EXPECT_EQ(c.address, "0.0.0.0:7051");
  EXPECT_EQ(c.local_msp_id, "SampleOrg");
  EXPECT_EQ(c.msp_config_path, "msp");
  EXPECT_EQ(c.operations_listen_address, "127.0.0.1:9443");
  const GossipSettings& g = c.gossip;
  EXPECT_EQ(g.bootstrap, std::vector<std::string>{"127.0.0.1:7051"});
  EXPECT_FALSE(g.use_leader_election);
  EXPECT_TRUE(g.org_leader);
  EXPECT_EQ(g.leader_mode(), LeaderMode::kStaticLeader);
  EXPECT_EQ(g.endpoint, "");           // `endpoint:` with no value
  EXPECT_EQ(g.external_endpoint, "");  // `externalEndpoint:` with no value
  EXPECT_EQ(g.election.startup_grace_period, 15s);
  EXPECT_EQ(g.election.membership_sample_interval, 1s);
  EXPECT_EQ(g.election.leader_alive_threshold, 10s);
  EXPECT_EQ(g.election.leader_election_duration, 5s);
  EXPECT_EQ(g.alive_time_interval, 5s);
  EXPECT_EQ(g.alive_expiration_timeout, 25s);
  EXPECT_EQ(g.reconnect_interval, 25s);
  EXPECT_EQ(g.pull_interval, 4s);
  EXPECT_EQ(g.publish_state_info_interval, 4s);
  EXPECT_EQ(g.request_state_info_interval, 4s);
  EXPECT_EQ(g.publish_cert_period, 10s);
  EXPECT_EQ(g.dial_timeout, 3s);  // peer.gossip's, not the gateway's 2m
  EXPECT_EQ(g.conn_timeout, 2s);
  EXPECT_EQ(g.pull_peer_num, 3);
  EXPECT_EQ(g.propagate_peer_num, 3);
  EXPECT_EQ(g.max_propagation_burst_size, 10);
  EXPECT_EQ(g.max_propagation_burst_latency, 10ms);
  EXPECT_EQ(g.send_buff_size, 200);
  EXPECT_EQ(g.recv_buff_size, 20);
}

TEST(CoreConfigErrors, CountsMustBePositiveWholeNumbers) {
  for (const char* bad : {"0", "-3", "many", "2.5"}) {
    const std::string yaml = std::string("peer:\n  gossip:\n    sendBuffSize: ") + bad + "\n";
    expect_error([&] { load(yaml); }, {"peer.gossip.sendBuffSize", bad, "a positive whole number"});
  }
  const Environment env{{"CORE_PEER_GOSSIP_PULLPEERNUM", "7"}};
  EXPECT_EQ(load_core_config_string("", env, "t").gossip.pull_peer_num, 7);
}

TEST(CoreConfig, PushBatchingKeysTakeFilesAndEnvironment) {
  const CoreConfig defaults = load_core_config_string("", {}, "t");
  EXPECT_EQ(defaults.gossip.max_propagation_burst_size, 10);
  EXPECT_EQ(defaults.gossip.max_propagation_burst_latency, 10ms);
  const Environment env{{"CORE_PEER_GOSSIP_MAXPROPAGATIONBURSTLATENCY", "2ms"}};
  const CoreConfig c =
      load_core_config_string("peer:\n  gossip:\n    maxPropagationBurstSize: 4\n", env, "t");
  EXPECT_EQ(c.gossip.max_propagation_burst_size, 4);
  EXPECT_EQ(c.gossip.max_propagation_burst_latency, 2ms);
  expect_error([&] { load("peer:\n  gossip:\n    maxPropagationBurstSize: 0\n"); },
               {"peer.gossip.maxPropagationBurstSize", "0", "a positive whole number"});
}

// ---- Fabric's sample files -------------------------------------------------

TEST(CoreConfigSamples, ProjectFixtureInFabricsLayout) {
  expect_fabric_sample(load_core_config_file(kFixture, {}), kFixture);
}

TEST(CoreConfigSamples, FabricV249) {
  SKIP_WITHOUT(kV24);
  expect_fabric_sample(load_core_config_file(kV24, {}), kV24);
}

TEST(CoreConfigSamples, FabricV315) {
  SKIP_WITHOUT(kV31);
  expect_fabric_sample(load_core_config_file(kV31, {}), kV31);
}

void expect_docker_style_overrides(const std::string& path) {
  // The usual Fabric test-network settings on top of the shipped file.
  const Environment env = {{"CORE_PEER_GOSSIP_USELEADERELECTION", "true"},
                           {"CORE_PEER_GOSSIP_ORGLEADER", "false"},
                           {"CORE_PEER_ID", "peer0.org1.example.com"},
                           {"CORE_PEER_GOSSIP_BOOTSTRAP", "peer1.org1:7051 peer2.org1:7051"},
                           {"CORE_PEER_GOSSIP_EXTERNALENDPOINT", "peer0.org1.example.com:7051"}};
  const CoreConfig c = load_core_config_file(path, env);
  EXPECT_EQ(c.gossip.leader_mode(), LeaderMode::kDynamic) << path;
  EXPECT_EQ(c.peer_id, "peer0.org1.example.com");
  EXPECT_EQ(c.gossip.bootstrap, (std::vector<std::string>{"peer1.org1:7051", "peer2.org1:7051"}));
  EXPECT_EQ(c.gossip.external_endpoint, "peer0.org1.example.com:7051");
  EXPECT_EQ(c.network_id, "dev");  // untouched keys keep the file's value
}

TEST(CoreConfigSamples, DockerStyleOverridesTurnOnDynamicElection) {
  expect_docker_style_overrides(kFixture);
}

TEST(CoreConfigSamples, DockerStyleOverridesOnFabricsSamples) {
  SKIP_WITHOUT(kV24);
  SKIP_WITHOUT(kV31);
  expect_docker_style_overrides(kV24);
  expect_docker_style_overrides(kV31);
}

// ---- defaults ----------------------------------------------------------------

void expect_code_defaults(const CoreConfig& c) {
  EXPECT_EQ(c.peer_id, "");
  EXPECT_EQ(c.network_id, "");
  EXPECT_EQ(c.listen_address, "");
  EXPECT_EQ(c.address, "");
  EXPECT_EQ(c.local_msp_id, "");
  EXPECT_EQ(c.msp_config_path, "");
  EXPECT_EQ(c.operations_listen_address, "");
  const GossipSettings& g = c.gossip;
  EXPECT_FALSE(g.use_leader_election);
  EXPECT_FALSE(g.org_leader);
  EXPECT_EQ(g.leader_mode(), LeaderMode::kStaticFollower);
  EXPECT_TRUE(g.bootstrap.empty());
  EXPECT_EQ(g.endpoint, "");
  EXPECT_EQ(g.external_endpoint, "");
  EXPECT_EQ(g.election.startup_grace_period, 15s);
  EXPECT_EQ(g.election.membership_sample_interval, 1s);
  EXPECT_EQ(g.election.leader_alive_threshold, 10s);
  EXPECT_EQ(g.election.leader_election_duration, 5s);
  EXPECT_EQ(g.alive_time_interval, 5s);
  EXPECT_EQ(g.alive_expiration_timeout, 25s);
  EXPECT_EQ(g.reconnect_interval, 25s);
}

TEST(CoreConfigDefaults, CodeDefaults) {
  const CoreConfig c = default_core_config();
  expect_code_defaults(c);
  EXPECT_EQ(c.source, "<defaults>");
}

TEST(CoreConfigDefaults, AbsentOrEmptyKeysUseCodeDefaults) {
  for (std::string_view yaml : {"", "# only a comment\n", "peer:\n", "peer:\n  gossip:\n",
                                "peer:\n  gossip:\n    election:\n",
                                "peer:\n  id: ''\n  gossip:\n    bootstrap:\n    endpoint: ~\n"
                                "    useLeaderElection:\n    election:\n"
                                "      leaderAliveThreshold: null\n"
                                "operations:\n  listenAddress:\n"}) {
    SCOPED_TRACE(yaml);
    const CoreConfig c = load(yaml);
    expect_code_defaults(c);
    EXPECT_EQ(c.source, "test.yaml");
  }
}

TEST(CoreConfigDefaults, AliveDefaultsDeriveLikeFabric) {
  // aliveExpirationTimeout defaults to 5 x aliveTimeInterval, reconnectInterval to it.
  CoreConfig c = load("peer:\n  gossip:\n    aliveTimeInterval: 2s\n");
  EXPECT_EQ(c.gossip.alive_time_interval, 2s);
  EXPECT_EQ(c.gossip.alive_expiration_timeout, 10s);
  EXPECT_EQ(c.gossip.reconnect_interval, 10s);

  c = load("peer:\n  gossip:\n    aliveExpirationTimeout: 30s\n");
  EXPECT_EQ(c.gossip.alive_time_interval, 5s);
  EXPECT_EQ(c.gossip.alive_expiration_timeout, 30s);
  EXPECT_EQ(c.gossip.reconnect_interval, 30s);

  c = load("", {{"CORE_PEER_GOSSIP_ALIVETIMEINTERVAL", "1s"},
                {"CORE_PEER_GOSSIP_RECONNECTINTERVAL", "7s"}});
  EXPECT_EQ(c.gossip.alive_expiration_timeout, 5s);
  EXPECT_EQ(c.gossip.reconnect_interval, 7s);
}

// ---- values and overrides ----------------------------------------------------

constexpr std::string_view kFull = R"(peer:
  id: p0
  networkId: net
  listenAddress: 0.0.0.0:7051
  address: p0.org1:7051
  localMspId: Org1MSP
  mspConfigPath: /etc/msp
  gossip:
    bootstrap: p1.org1:7051
    useLeaderElection: true
    orgLeader: false
    endpoint: p0.internal:7051
    externalEndpoint: p0.org1:7051
    aliveTimeInterval: 1s
    aliveExpirationTimeout: 4s
    reconnectInterval: 3s
    election:
      startupGracePeriod: 1m30s
      membershipSampleInterval: 250ms
      leaderAliveThreshold: 2s
      leaderElectionDuration: 1.5s
operations:
  listenAddress: 127.0.0.1:9444
)";

TEST(CoreConfigValues, ReadsEverySetting) {
  const CoreConfig c = load(kFull);
  EXPECT_EQ(c.peer_id, "p0");
  EXPECT_EQ(c.network_id, "net");
  EXPECT_EQ(c.listen_address, "0.0.0.0:7051");
  EXPECT_EQ(c.address, "p0.org1:7051");
  EXPECT_EQ(c.local_msp_id, "Org1MSP");
  EXPECT_EQ(c.msp_config_path, "/etc/msp");
  EXPECT_EQ(c.operations_listen_address, "127.0.0.1:9444");
  EXPECT_EQ(c.gossip.bootstrap, std::vector<std::string>{"p1.org1:7051"});
  EXPECT_EQ(c.gossip.leader_mode(), LeaderMode::kDynamic);
  EXPECT_EQ(c.gossip.endpoint, "p0.internal:7051");
  EXPECT_EQ(c.gossip.external_endpoint, "p0.org1:7051");
  EXPECT_EQ(c.gossip.alive_time_interval, 1s);
  EXPECT_EQ(c.gossip.alive_expiration_timeout, 4s);
  EXPECT_EQ(c.gossip.reconnect_interval, 3s);
  EXPECT_EQ(c.gossip.election.startup_grace_period, 90s);
  EXPECT_EQ(c.gossip.election.membership_sample_interval, 250ms);
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 2s);
  EXPECT_EQ(c.gossip.election.leader_election_duration, 1500ms);
}

TEST(CoreConfigValues, EnvironmentWinsOverFile) {
  const Environment env = {
      {"CORE_PEER_ID", "p9"},
      {"CORE_PEER_NETWORKID", "net9"},
      {"CORE_PEER_LISTENADDRESS", "0.0.0.0:9051"},
      {"CORE_PEER_ADDRESS", "p9.org1:9051"},
      {"CORE_PEER_LOCALMSPID", "Org9MSP"},
      {"CORE_PEER_MSPCONFIGPATH", "/msp9"},
      {"CORE_OPERATIONS_LISTENADDRESS", "0.0.0.0:9443"},
      {"CORE_PEER_GOSSIP_USELEADERELECTION", "false"},
      {"CORE_PEER_GOSSIP_ORGLEADER", "true"},
      {"CORE_PEER_GOSSIP_ENDPOINT", "e9:1"},
      {"CORE_PEER_GOSSIP_EXTERNALENDPOINT", "x9:1"},
      {"CORE_PEER_GOSSIP_ALIVETIMEINTERVAL", "9s"},
      {"CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT", "19s"},
      {"CORE_PEER_GOSSIP_RECONNECTINTERVAL", "29s"},
      {"CORE_PEER_GOSSIP_ELECTION_STARTUPGRACEPERIOD", "1s"},
      {"CORE_PEER_GOSSIP_ELECTION_MEMBERSHIPSAMPLEINTERVAL", "2s"},
      {"CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD", "3s"},
      {"CORE_PEER_GOSSIP_ELECTION_LEADERELECTIONDURATION", "4s"},
  };
  const CoreConfig c = load(kFull, env);
  EXPECT_EQ(c.peer_id, "p9");
  EXPECT_EQ(c.network_id, "net9");
  EXPECT_EQ(c.listen_address, "0.0.0.0:9051");
  EXPECT_EQ(c.address, "p9.org1:9051");
  EXPECT_EQ(c.local_msp_id, "Org9MSP");
  EXPECT_EQ(c.msp_config_path, "/msp9");
  EXPECT_EQ(c.operations_listen_address, "0.0.0.0:9443");
  EXPECT_EQ(c.gossip.leader_mode(), LeaderMode::kStaticLeader);
  EXPECT_EQ(c.gossip.endpoint, "e9:1");
  EXPECT_EQ(c.gossip.external_endpoint, "x9:1");
  EXPECT_EQ(c.gossip.alive_time_interval, 9s);
  EXPECT_EQ(c.gossip.alive_expiration_timeout, 19s);
  EXPECT_EQ(c.gossip.reconnect_interval, 29s);
  EXPECT_EQ(c.gossip.election.startup_grace_period, 1s);
  EXPECT_EQ(c.gossip.election.membership_sample_interval, 2s);
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 3s);
  EXPECT_EQ(c.gossip.election.leader_election_duration, 4s);
}

TEST(CoreConfigValues, EnvironmentSetsKeysAbsentFromFile) {
  const CoreConfig c = load("", {{"CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD", "2s"},
                                 {"CORE_PEER_GOSSIP_USELEADERELECTION", "true"}});
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 2s);
  EXPECT_EQ(c.gossip.leader_mode(), LeaderMode::kDynamic);
}

TEST(CoreConfigValues, EmptyEnvironmentValueIsUnset) {
  const Environment env = {{"CORE_PEER_ID", ""},
                           {"CORE_PEER_GOSSIP_USELEADERELECTION", ""},
                           {"CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD", ""},
                           {"CORE_PEER_GOSSIP_BOOTSTRAP", ""}};
  const CoreConfig c = load(kFull, env);
  EXPECT_EQ(c.peer_id, "p0");
  EXPECT_TRUE(c.gossip.use_leader_election);
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 2s);
  EXPECT_EQ(c.gossip.bootstrap, std::vector<std::string>{"p1.org1:7051"});
}

TEST(CoreConfigValues, EnvironmentNamesAreExactUpperCase) {
  // viper upper-cases the key; other spellings and other prefixes are ignored.
  const CoreConfig c = load(kFull, {{"core_peer_id", "x"},
                                    {"CORE_peer_id", "x"},
                                    {"FABRIC_PEER_ID", "x"},
                                    {"CORE_PEER_GOSSIP_ELECTION.LEADERALIVETHRESHOLD", "0s"}});
  EXPECT_EQ(c.peer_id, "p0");
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 2s);
}

TEST(CoreConfigValues, EnvironmentHidesBadFileValue) {
  // As in viper, an overridden key's file value is never interpreted.
  const CoreConfig c = load("peer:\n  gossip:\n    election:\n      leaderAliveThreshold: 10\n",
                            {{"CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD", "2s"}});
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 2s);
}

TEST(CoreConfigValues, KeysMatchCaseInsensitivelyLikeViper) {
  const CoreConfig c = load("Peer:\n  ID: p0\n  Gossip:\n    USELEADERELECTION: true\n");
  EXPECT_EQ(c.peer_id, "p0");
  EXPECT_TRUE(c.gossip.use_leader_election);
}

TEST(CoreConfigValues, QuotedAndNumericScalars) {
  const CoreConfig c = load(
      "peer:\n  id: 42\n  gossip:\n    orgLeader: \"true\"\n"
      "    election:\n      leaderAliveThreshold: '3s'\n");
  EXPECT_EQ(c.peer_id, "42");
  EXPECT_TRUE(c.gossip.org_leader);
  EXPECT_EQ(c.gossip.election.leader_alive_threshold, 3s);
}

TEST(CoreConfigValues, BooleanSpellingsOfGoParseBool) {
  for (std::string t : {"1", "t", "T", "TRUE", "true", "True"}) {
    EXPECT_TRUE(load("", {{"CORE_PEER_GOSSIP_ORGLEADER", t}}).gossip.org_leader) << t;
    EXPECT_TRUE(load("peer:\n  gossip:\n    orgLeader: " + t + "\n").gossip.org_leader) << t;
  }
  for (std::string f : {"0", "f", "F", "FALSE", "false", "False"}) {
    const std::string yaml = "peer:\n  gossip:\n    orgLeader: true\n";
    EXPECT_FALSE(load(yaml, {{"CORE_PEER_GOSSIP_ORGLEADER", f}}).gossip.org_leader) << f;
    EXPECT_FALSE(load("peer:\n  gossip:\n    orgLeader: " + f + "\n").gossip.org_leader) << f;
  }
}

TEST(CoreConfigBootstrap, ScalarListAndEnvironmentForms) {
  using List = std::vector<std::string>;
  EXPECT_EQ(load("peer:\n  gossip:\n    bootstrap: a:1\n").gossip.bootstrap, List{"a:1"});
  // A YAML string is split on whitespace, as viper's GetStringSlice does.
  EXPECT_EQ(load("peer:\n  gossip:\n    bootstrap: a:1  b:2\n").gossip.bootstrap,
            (List{"a:1", "b:2"}));
  EXPECT_EQ(load("peer:\n  gossip:\n    bootstrap: [a:1, b:2]\n").gossip.bootstrap,
            (List{"a:1", "b:2"}));
  EXPECT_EQ(load("peer:\n  gossip:\n    bootstrap:\n      - a:1\n      - b:2\n").gossip.bootstrap,
            (List{"a:1", "b:2"}));
  EXPECT_EQ(load("peer:\n  gossip:\n    bootstrap: []\n").gossip.bootstrap, List{});
  EXPECT_EQ(load("peer:\n  gossip:\n    bootstrap: [a:1]\n",
                 {{"CORE_PEER_GOSSIP_BOOTSTRAP", " x:1\ty:2  z:3 "}})
                .gossip.bootstrap,
            (List{"x:1", "y:2", "z:3"}));
}

// ---- errors ------------------------------------------------------------------

TEST(CoreConfigErrors, MissingFile) {
  const std::string path = kData + "/no-such-core.yaml";
  const ConfigError e = expect_error([&] { load_core_config_file(path, {}); },
                                     {path, "No such file or directory", "expected a readable"});
  EXPECT_EQ(e.source(), path);
  EXPECT_EQ(e.key(), "");
}

TEST(CoreConfigErrors, Directory) {
  const std::string path = kData;
  expect_error([&] { load_core_config_file(path, {}); }, {path, "is a directory"});
}

TEST(CoreConfigErrors, UnreadableFile) {
  TempDir dir;
  const auto path = dir.write("locked.yaml", "peer:\n  id: p0\n");
  ASSERT_EQ(chmod(path.c_str(), 0), 0);
  if (access(path.c_str(), R_OK) != 0) {
    expect_error([&] { load_core_config_file(path, {}); }, {path.string(), "Permission denied"});
    return;
  }
  // Root reads mode-000 files: check in a child process that drops to nobody.
  EXPECT_EXIT(
      {
        if (setgid(65534) != 0 || setuid(65534) != 0) _exit(3);
        try {
          load_core_config_file(path, {});
          _exit(1);
        } catch (const ConfigError& e) {
          const std::string what = e.what();
          const bool names_it = what.find(path.string()) != std::string::npos &&
                                what.find("Permission denied") != std::string::npos;
          _exit(names_it ? 0 : 2);
        }
      },
      ::testing::ExitedWithCode(0), "");
}

TEST(CoreConfigErrors, MalformedYamlGivesLineAndColumn) {
  expect_error([] { load("peer:\n  id: [unclosed\n  address: x\n"); },
               {"test.yaml:", "malformed YAML", "expected a valid YAML document"});
  const ConfigError e =
      expect_error([] { load("peer:\n  id: p0\n\tgossip: {}\n"); }, {"malformed YAML"});
  EXPECT_EQ(std::string(e.what()).rfind("test.yaml:3:", 0), 0u) << e.what();
}

TEST(CoreConfigErrors, MalformedFileNamesThePath) {
  TempDir dir;
  const auto path = dir.write("core.yaml", "peer:\n  gossip: {orgLeader: true\n");
  expect_error([&] { load_core_config_file(path, {}); }, {path.string() + ":", "malformed YAML"});
}

constexpr std::string_view kLatPrefix =
    "peer:\n  gossip:\n    election:\n      leaderAliveThreshold: ";

TEST(CoreConfigErrors, DurationWithoutUnitHasTheWholeStory) {
  const ConfigError e = expect_error([] { load(std::string(kLatPrefix) + "10\n"); }, {});
  EXPECT_STREQ(e.what(),
               "test.yaml:4: peer.gossip.election.leaderAliveThreshold: invalid duration \"10\": "
               "missing unit; expected a positive Go duration such as 10s, 500ms or 1m30s");
  EXPECT_EQ(e.source(), "test.yaml:4");
  EXPECT_EQ(e.key(), "peer.gossip.election.leaderAliveThreshold");
  EXPECT_EQ(e.value(), "10");
  EXPECT_EQ(e.expected(), "a positive Go duration such as 10s, 500ms or 1m30s");
}

TEST(CoreConfigErrors, NegativeZeroAndGarbageDurations) {
  for (const auto& [value, reason] : std::initializer_list<std::pair<std::string, std::string>>{
           {"-1s", "negative"},
           {"0s", "must be greater than zero"},
           {"0", "missing unit"},
           {"0ms", "must be greater than zero"},
           {"5x", "unknown unit"},
           {"soon", "missing number"},
           {"99999999999h", "out of range"}}) {
    SCOPED_TRACE(value);
    expect_error([&] { load(std::string(kLatPrefix) + value + "\n"); },
                 {"test.yaml:4", "peer.gossip.election.leaderAliveThreshold", "\"" + value + "\"",
                  reason, "expected a positive Go duration"});
  }
}

TEST(CoreConfigErrors, EveryDurationKeyIsChecked) {
  for (std::string key :
       {"peer.gossip.election.startupGracePeriod", "peer.gossip.election.membershipSampleInterval",
        "peer.gossip.election.leaderAliveThreshold", "peer.gossip.election.leaderElectionDuration",
        "peer.gossip.aliveTimeInterval", "peer.gossip.aliveExpirationTimeout",
        "peer.gossip.reconnectInterval"}) {
    std::string env_name = "CORE_" + key;
    for (char& c : env_name) c = c == '.' ? '_' : static_cast<char>(std::toupper(c));
    expect_error(
        [&] {
          load(kFull, {{env_name, "0s"}});
        },
        {"environment variable " + env_name, key, "\"0s\"", "greater than zero"});
  }
}

TEST(CoreConfigErrors, BadDurationFromEnvironmentNamesTheVariable) {
  const ConfigError e = expect_error(
      [] {
        load("", {{"CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD", "10"}});
      },
      {"environment variable CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD",
       "peer.gossip.election.leaderAliveThreshold", "\"10\"", "missing unit",
       "expected a positive Go duration"});
  EXPECT_EQ(e.value(), "10");
}

TEST(CoreConfigErrors, BadBoolean) {
  expect_error([] { load("peer:\n  gossip:\n    useLeaderElection: yes please\n"); },
               {"test.yaml:3", "peer.gossip.useLeaderElection", "\"yes please\"", "invalid boolean",
                "expected a boolean"});
  expect_error(
      [] {
        load("", {{"CORE_PEER_GOSSIP_ORGLEADER", "yes"}});
      },
      {"environment variable CORE_PEER_GOSSIP_ORGLEADER", "peer.gossip.orgLeader", "\"yes\"",
       "expected a boolean"});
}

TEST(CoreConfigErrors, BothModeFlagsInFile) {
  const ConfigError e = expect_error(
      [] { load("peer:\n  gossip:\n    useLeaderElection: true\n    orgLeader: true\n"); },
      {"peer.gossip.useLeaderElection", "peer.gossip.orgLeader", "both are true", "test.yaml:3",
       "test.yaml:4", "expected at most one of them true"});
  EXPECT_EQ(e.value(), "true");
}

TEST(CoreConfigErrors, BothModeFlagsViaEnvironment) {
  // The shipped file has orgLeader: true; turning on election alone is the classic mistake.
  expect_error(
      [] {
        load_core_config_file(kFixture, {{"CORE_PEER_GOSSIP_USELEADERELECTION", "true"}});
      },
      {kFixture, "peer.gossip.useLeaderElection", "peer.gossip.orgLeader",
       "environment variable CORE_PEER_GOSSIP_USELEADERELECTION",
       line_of(kFixture, "        orgLeader: true")});
  expect_error(
      [] {
        load("",
             {{"CORE_PEER_GOSSIP_USELEADERELECTION", "1"}, {"CORE_PEER_GOSSIP_ORGLEADER", "T"}});
      },
      {"peer.gossip.useLeaderElection", "peer.gossip.orgLeader",
       "environment variable CORE_PEER_GOSSIP_ORGLEADER"});
}

TEST(CoreConfigErrors, LeaderModeRefusesBothFlags) {
  GossipSettings g;
  g.use_leader_election = g.org_leader = true;
  expect_error([&] { (void)g.leader_mode(); },
               {"peer.gossip.useLeaderElection", "peer.gossip.orgLeader"});
}

TEST(CoreConfigErrors, WrongNodeTypes) {
  struct Case {
    std::string yaml;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"peer:\n  gossip:\n    election: 5s\n",
       {"test.yaml:3", "peer.gossip.election", "found a scalar \"5s\"", "expected a mapping"}},
      {"peer:\n  gossip:\n    - a\n    - b\n",
       {"test.yaml:3", "peer.gossip:", "found a list [a, b]", "expected a mapping"}},
      {"peer: jdoe\n", {"test.yaml:1", "peer:", "found a scalar \"jdoe\"", "expected a mapping"}},
      {"- peer\n", {"test.yaml:1", "(top level)", "found a list", "expected a mapping"}},
      {"just text\n", {"(top level)", "found a scalar \"just text\""}},
      {"peer:\n  gossip:\n    useLeaderElection: {a: 1}\n",
       {"test.yaml:3", "peer.gossip.useLeaderElection", "found a mapping {a: 1}",
        "expected a boolean"}},
      {"peer:\n  id: [a, b]\n",
       {"test.yaml:2", "peer.id", "found a list [a, b]", "expected a single string value"}},
      {"peer:\n  gossip:\n    election:\n      leaderAliveThreshold: [1s]\n",
       {"test.yaml:4", "peer.gossip.election.leaderAliveThreshold", "found a list",
        "expected a positive Go duration"}},
      {"peer:\n  gossip:\n    bootstrap: {a: 1}\n",
       {"peer.gossip.bootstrap", "found a mapping", "expected a host:port string"}},
      {"peer:\n  gossip:\n    bootstrap:\n      - a:1\n      - [b, c]\n",
       {"test.yaml:5", "peer.gossip.bootstrap", "found a list [b, c]"}},
      {"operations: [x]\n", {"operations:", "found a list"}},
      {"peer:\n  gossip:\n    bootstrap:\n      - a:1\n      -\n",
       {"peer.gossip.bootstrap", "found an empty value", "expected a host:port string"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.yaml);
    std::vector<std::string_view> parts(c.parts.begin(), c.parts.end());
    try {
      load(c.yaml);
      ADD_FAILURE() << "no error";
    } catch (const ConfigError& e) {
      for (std::string_view p : parts) {
        EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << p << " in: " << e.what();
      }
    }
  }
}

TEST(CoreConfigErrors, BadAncestorIsReportedEvenWhenEnvironmentSetsTheLeaf) {
  expect_error(
      [] {
        load("peer:\n  gossip:\n    election: 5s\n",
             {{"CORE_PEER_GOSSIP_ELECTION_LEADERALIVETHRESHOLD", "2s"}});
      },
      {"peer.gossip.election", "expected a mapping"});
}

TEST(ProcessEnvironment, KeepsOnlyCoreVariables) {
  ASSERT_EQ(setenv("CORE_FABNET_CONFIG_TEST", "a b", 1), 0);
  ASSERT_EQ(setenv("FABNET_CONFIG_TEST_OTHER", "x", 1), 0);
  const Environment env = process_environment();
  unsetenv("CORE_FABNET_CONFIG_TEST");
  unsetenv("FABNET_CONFIG_TEST_OTHER");
  ASSERT_EQ(env.count("CORE_FABNET_CONFIG_TEST"), 1u);
  EXPECT_EQ(env.at("CORE_FABNET_CONFIG_TEST"), "a b");
  EXPECT_EQ(env.count("FABNET_CONFIG_TEST_OTHER"), 0u);
  for (const auto& [name, value] : env) EXPECT_EQ(name.rfind("CORE_", 0), 0u) << name;
}

}  // namespace
}  // namespace fabnet::config

// ---- peer.deliveryclient and peer.fileSystemPath ------------------------------------

namespace fabnet::config {
namespace {

TEST(CoreConfigDeliveryClient, CodeDefaultsAreFabrics) {
  const CoreConfig c = default_core_config();
  EXPECT_EQ(c.delivery_client.reconnect_total_time_threshold, 3600s);
  EXPECT_EQ(c.delivery_client.reconnect_backoff_threshold, 3600s);
  EXPECT_EQ(c.delivery_client.conn_timeout, 3s);
  EXPECT_TRUE(c.delivery_client.block_gossip_enabled);
  EXPECT_TRUE(c.delivery_client.address_overrides.empty());
  EXPECT_EQ(c.file_system_path, "/var/hyperledger/production");
  EXPECT_EQ(load("").delivery_client.conn_timeout, 3s);
}

TEST(CoreConfigDeliveryClient, ProjectFixture) {
  const CoreConfig c = load_core_config_file(kFixture, {});
  EXPECT_EQ(c.delivery_client.reconnect_total_time_threshold, 3600s);
  EXPECT_EQ(c.delivery_client.reconnect_backoff_threshold, 3600s);
  EXPECT_EQ(c.delivery_client.conn_timeout, 3s);
  EXPECT_TRUE(c.delivery_client.address_overrides.empty());  // `addressOverrides:` left empty
  EXPECT_TRUE(c.delivery_client.block_gossip_enabled);
  EXPECT_EQ(c.file_system_path, "/var/hyperledger/production");
  EXPECT_FALSE(c.gossip.state_enabled) << "the fixture sets state.enabled: false, as Fabric's";
}

TEST(CoreConfigDeliveryClient, FabricSamples) {
  SKIP_WITHOUT(kV24);
  SKIP_WITHOUT(kV31);
  for (const std::string& path : {kV24, kV31}) {
    const CoreConfig c = load_core_config_file(path, {});
    EXPECT_EQ(c.delivery_client.reconnect_total_time_threshold, 3600s);
    EXPECT_EQ(c.delivery_client.reconnect_backoff_threshold, 3600s);
    EXPECT_EQ(c.delivery_client.conn_timeout, 3s);
    EXPECT_TRUE(c.delivery_client.address_overrides.empty());  // commented-out entries
    EXPECT_EQ(c.file_system_path, "/var/hyperledger/production");
  }
  EXPECT_TRUE(load_core_config_file(kV24, {}).delivery_client.block_gossip_enabled);
  EXPECT_FALSE(load_core_config_file(kV31, {}).delivery_client.block_gossip_enabled);
}

TEST(CoreConfigDeliveryClient, FileValuesAndEnvironmentOverrides) {
  const std::string yaml =
      "peer:\n"
      "  fileSystemPath: /tmp/ledgers\n"
      "  deliveryclient:\n"
      "    blockGossipEnabled: false\n"
      "    reconnectTotalTimeThreshold: 10m\n"
      "    connTimeout: 500ms\n"
      "    reConnectBackoffThreshold: 30s\n"
      "    addressOverrides:\n"
      "      - from: orderer.example.com:7050\n"
      "        to: 127.0.0.1:7050\n"
      "        caCertsFile: /etc/ca.pem\n"
      "      - from: orderer2.example.com:7050\n"
      "        to: 127.0.0.1:8050\n";
  const CoreConfig c = load(yaml);
  EXPECT_EQ(c.file_system_path, "/tmp/ledgers");
  EXPECT_FALSE(c.delivery_client.block_gossip_enabled);
  EXPECT_EQ(c.delivery_client.reconnect_total_time_threshold, 10min);
  EXPECT_EQ(c.delivery_client.conn_timeout, 500ms);
  EXPECT_EQ(c.delivery_client.reconnect_backoff_threshold, 30s);
  ASSERT_EQ(c.delivery_client.address_overrides.size(), 2u);
  EXPECT_EQ(c.delivery_client.address_overrides[0].ca_certs_file, "/etc/ca.pem");
  EXPECT_EQ(c.delivery_client.resolve("orderer.example.com:7050"), "127.0.0.1:7050");
  EXPECT_EQ(c.delivery_client.resolve("orderer2.example.com:7050"), "127.0.0.1:8050");
  EXPECT_EQ(c.delivery_client.resolve("other:7050"), "other:7050");

  const Environment env{{"CORE_PEER_DELIVERYCLIENT_RECONNECTTOTALTIMETHRESHOLD", "20s"},
                        {"CORE_PEER_DELIVERYCLIENT_RECONNECTBACKOFFTHRESHOLD", "2s"},
                        {"CORE_PEER_DELIVERYCLIENT_CONNTIMEOUT", "1s"},
                        {"CORE_PEER_DELIVERYCLIENT_BLOCKGOSSIPENABLED", "true"},
                        {"CORE_PEER_FILESYSTEMPATH", "/data/peer0"}};
  const CoreConfig e = load(yaml, env);
  EXPECT_EQ(e.delivery_client.reconnect_total_time_threshold, 20s);
  EXPECT_EQ(e.delivery_client.reconnect_backoff_threshold, 2s);
  EXPECT_EQ(e.delivery_client.conn_timeout, 1s);
  EXPECT_TRUE(e.delivery_client.block_gossip_enabled);
  EXPECT_EQ(e.file_system_path, "/data/peer0");
}

TEST(CoreConfigDeliveryClient, BadDurationsAndBooleansNameKeyAndSource) {
  for (std::string key :
       {"peer.deliveryclient.reconnectTotalTimeThreshold",
        "peer.deliveryclient.reConnectBackoffThreshold", "peer.deliveryclient.connTimeout"}) {
    std::string env_name = "CORE_" + key;
    for (char& c : env_name) c = c == '.' ? '_' : static_cast<char>(std::toupper(c));
    expect_error(
        [&] {
          load("", {{env_name, "0s"}});
        },
        {"environment variable " + env_name, key, "\"0s\"", "greater than zero",
         "expected a positive Go duration"});
  }
  expect_error([] { load("peer:\n  deliveryclient:\n    connTimeout: 3\n"); },
               {"test.yaml:3", "peer.deliveryclient.connTimeout", "\"3\"", "missing unit"});
  expect_error([] { load("peer:\n  deliveryclient:\n    blockGossipEnabled: sometimes\n"); },
               {"test.yaml:3", "peer.deliveryclient.blockGossipEnabled", "invalid boolean"});
}

TEST(CoreConfigDeliveryClient, MalformedAddressOverrides) {
  expect_error([] { load("peer:\n  deliveryclient:\n    addressOverrides: a:1\n"); },
               {"test.yaml:3", "peer.deliveryclient.addressOverrides", "found a scalar",
                "expected a list of mappings with from, to"});
  expect_error([] { load("peer:\n  deliveryclient:\n    addressOverrides:\n      - a:1\n"); },
               {"test.yaml:4", "peer.deliveryclient.addressOverrides[0]", "found a scalar"});
  expect_error(
      [] {
        load(
            "peer:\n  deliveryclient:\n    addressOverrides:\n      - from: a:1\n        to: b:1\n"
            "      - from: c:1\n");
      },
      {"test.yaml:6", "peer.deliveryclient.addressOverrides[1]", "override without `to`",
       "expected both from"});
  expect_error(
      [] {
        load("peer:\n  deliveryclient:\n    addressOverrides:\n      - from: [a]\n        to: b\n");
      },
      {"peer.deliveryclient.addressOverrides[0].from", "found a list"});
}

}  // namespace
}  // namespace fabnet::config

namespace fabnet::config {
namespace {

TEST(FindConfigFile, FabricCfgPathFirstThenTheWorkingDirectory) {
  TempDir dir;
  dir.write("core.yaml", "peer:\n  id: x\n");
  EXPECT_EQ(find_config_file("core.yaml", dir.path().c_str()), dir.path() / "core.yaml");
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  EXPECT_EQ(find_config_file("core.yaml", nullptr), dir.path() / "core.yaml");
  EXPECT_EQ(find_config_file("core.yaml", ""), dir.path() / "core.yaml");
  std::filesystem::current_path(cwd);
}

TEST(FindConfigFile, NamesWhereItLooked) {
  TempDir dir;
  expect_error([&] { find_config_file("orderer.yaml", dir.path().c_str()); },
               {"FABRIC_CFG_PATH", dir.path().string(), "orderer.yaml", "--config"});
  const auto cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir.path());
  expect_error([&] { find_config_file("core.yaml", nullptr); },
               {"core.yaml", "FABRIC_CFG_PATH unset", "working directory"});
  std::filesystem::current_path(cwd);
}

}  // namespace
}  // namespace fabnet::config
