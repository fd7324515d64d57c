#include "up/launcher.h"

#include <signal.h>

#include <fmt/format.h>
#include <fmt/ostream.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <ctime>
#include <deque>
#include <fstream>
#include <functional>
#include <thread>

#include "election/election_config.h"
#include "ledger/block_hash.h"
#include "ledger/block_store.h"
#include "sim/failover_analysis.h"
#include "up/layout.h"
#include "up/network_file.h"
#include "up/probe.h"
#include "up/processes.h"
#include "up/state.h"
#include "up/terminal.h"
#include "up/view.h"

namespace fabnet::up {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr int kExitOk = 0, kExitFailure = 1, kExitConfig = 2;
constexpr auto kTick = 500ms;  // the view's redraw and probe period

volatile std::sig_atomic_t g_interrupts = 0;
extern "C" void on_interrupt(int) {
  g_interrupts = g_interrupts + 1;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

double seconds(std::chrono::nanoseconds d) {
  return std::chrono::duration<double>(d).count();
}

// Every process of the network, the load clients first (they stop sending before
// the orderer goes), then the peers, then the orderer.
std::vector<Named> everything(const UpState& state) {
  std::vector<Named> all;
  for (const auto& [channel, p] : state.load) all.push_back({"load." + channel, p});
  for (auto it = state.nodes.rbegin(); it != state.nodes.rend(); ++it)
    if (it->first != "orderer") all.push_back({it->first, it->second});
  if (const auto o = state.nodes.find("orderer"); o != state.nodes.end())
    all.push_back({"orderer", o->second});
  return all;
}

std::vector<std::string> load_argv(const Layout& layout, const NetworkFile& net,
                                   const std::string& channel, double rate) {
  std::vector<std::string> argv = {self_binary(),
                                   "tx",
                                   "broadcast",
                                   "--orderer",
                                   layout.orderer_endpoint,
                                   "--channel",
                                   channel,
                                   "--count",
                                   "100000000",
                                   "--rate",
                                   fmt::format("{:g}", rate),
                                   "--size",
                                   std::to_string(net.load.size),
                                   "--msp",
                                   layout.client_msp.string(),
                                   "--msp-id",
                                   layout.client_msp_id};
  const auto tls = layout.client_tls_args();
  argv.insert(argv.end(), tls.begin(), tls.end());
  return argv;
}

void start_load(UpState& state, const Layout& layout, const NetworkFile& net, double rate) {
  state.load.clear();
  state.load_rate = rate;
  if (rate <= 0) return;
  for (const std::string& channel : layout.channels)
    state.load[channel] =
        spawn_in_own_session(load_argv(layout, net, channel, rate), layout.load_log(channel));
}

ProcessId start_node(const Layout& layout, const Node& node) {
  std::vector<std::string> argv = {self_binary()};
  argv.insert(argv.end(), node.args.begin(), node.args.end());
  return spawn_in_own_session(argv, layout.log_file(node));
}

// The folder a new network may use: absent, empty, or one whose network is gone.
void prepare_dir(const fs::path& dir, std::ostream& out) {
  if (!fs::exists(dir)) return;
  if (const auto state = load_state(dir)) {
    if (state->anything_alive())
      throw UpConfigError(fmt::format(
          "--dir {}: a network started {} still runs there; `fabnet down --dir {}` stops it",
          dir.string(), state->started_at, dir.string()));
    fmt::print(out, "{}: the network started {} has no process left (stale); replacing it\n",
               dir.string(), state->started_at);
    fs::remove_all(dir);
    return;
  }
  if (!fs::is_directory(dir) || !fs::is_empty(dir))
    throw UpConfigError(fmt::format(
        "--dir {}: exists and is not a fabnet up folder (no fabnet-up.json); choose another "
        "--dir or remove it",
        dir.string()));
}

// "port 7051 (peer0.org1 gossip) is in use" for the first port taken, if any.
std::optional<std::string> taken_port(const NetworkFile& net, const Layout& layout) {
  for (const Node& node : layout.nodes)
    for (const auto& [port, what] :
         {std::pair{node.listen_port, node.is_peer() ? "gossip" : "broadcast"},
          std::pair{node.ops_port, "operations"}})
      if (port_in_use(port))
        return fmt::format(
            "port {} ({} {}) is in use on 127.0.0.1: is another network running? ports.base "
            "{} uses ports {}..{}; set another ports.base in network.yaml",
            port, node.name, what, net.ports_base, net.ports_base,
            net.ports_base + net.port_count() - 1);
  return std::nullopt;
}

// The run of one launcher: watching, events, the demo's script and summary.
class Session {
 public:
  Session(NetworkFile net, Layout layout, UpState state, const UpOptions& options,
          std::ostream& out, std::ostream& err)
      : net_(std::move(net)),
        layout_(std::move(layout)),
        state_(std::move(state)),
        options_(options),
        out_(out),
        err_(err),
        terminal_(out, options.live),
        started_(Clock::now()) {}

  int run();

 private:
  double now() const { return seconds(Clock::now() - started_); }
  void save() { save_state(layout_.dir, state_); }
  void refresh_state() {
    try {
      if (auto s = load_state(layout_.dir)) state_ = *s;
    } catch (const UpConfigError&) {
    }
  }
  // Probes, records events, redraws or prints them.
  void tick();
  void note(const std::string& text) {
    const Event e{now(), Event::Kind::kInfo, text};
    recent_.push_back(e);
    if (!terminal_.live()) fmt::print(out_, "{}\n", format_event(e));
    out_ << std::flush;
  }
  bool interrupted() const { return g_interrupts > 0; }
  bool start_nodes();
  bool wait_for_leaders();
  void watch();
  void run_demo_script();
  void stop(bool quiet = false);
  void fail_with_node(const Node& node, const std::string& what);
  void print_summary();
  bool check_chains();
  void wait_level(std::chrono::seconds limit);

  NetworkFile net_;
  Layout layout_;
  UpState state_;
  UpOptions options_;
  std::ostream& out_;
  std::ostream& err_;
  Terminal terminal_;
  Clock::time_point started_;
  Tracker tracker_;
  Snapshot last_;
  std::deque<Event> recent_;
  std::optional<double> settled_at_;
};

void Session::tick() {
  reap_children();
  refresh_state();
  last_ = probe(net_, layout_, state_, now());
  for (Event& e : tracker_.observe(last_)) {
    if (!terminal_.live()) fmt::print(out_, "{}\n", format_event(e));
    recent_.push_back(std::move(e));
    if (recent_.size() > 50) recent_.pop_front();
  }
  if (terminal_.live())
    terminal_.draw(
        render({layout_.dir.string(), state_.load_rate, layout_.tls}, last_, tracker_, recent_));
  out_ << std::flush;  // one line per event as it happens, also into a pipe or a file
}

void Session::fail_with_node(const Node& node, const std::string& what) {
  terminal_.release();
  fmt::print(err_, "fabnet up: {} {}; the last lines of {}:\n{}", node.name, what,
             layout_.log_file(node).string(), log_tail(layout_.log_file(node), 15));
}

bool Session::start_nodes() {
  const Node& orderer = layout_.nodes.front();
  state_.nodes[orderer.name] = start_node(layout_, orderer);
  save();
  const auto orderer_deadline = Clock::now() + 20s;
  while (!orderer_serves(layout_)) {
    reap_children();
    if (state_of(state_.nodes[orderer.name]) == ProcessState::kGone) {
      fail_with_node(orderer, "exited during start-up");
      return false;
    }
    if (interrupted()) return false;
    if (Clock::now() > orderer_deadline) {
      fail_with_node(orderer, "did not serve /metrics within 20s");
      return false;
    }
    std::this_thread::sleep_for(100ms);
  }
  for (const Node& node : layout_.nodes)
    if (node.is_peer()) state_.nodes[node.name] = start_node(layout_, node);
  save();
  note(fmt::format("started the orderer and {} peers; logs in {}/<node>/log",
                   state_.nodes.size() - 1, layout_.dir.string()));
  return true;
}

bool Session::wait_for_leaders() {
  const auto& t = net_.timings;
  const auto limit =
      t.startup_grace + 3 * (t.leader_alive_threshold + t.leader_election_duration) + 30s;
  const auto deadline = Clock::now() + limit;
  while (!interrupted()) {
    tick();
    for (const Node& node : layout_.nodes)
      if (state_of(state_.nodes[node.name]) == ProcessState::kGone) {
        fail_with_node(node, "exited during start-up");
        return false;
      }
    if (tracker_.all_settled()) {
      settled_at_ = now();
      note(fmt::format("every (channel, org) has one agreed leader, {:.1f}s after start",
                       *settled_at_));
      return true;
    }
    if (Clock::now() > deadline) {
      terminal_.release();
      std::vector<std::string> missing;
      for (const auto& c : layout_.channels)
        for (const auto& org : last_.channel_orgs.at(c))
          if (!group_leader(last_, c, org).agreed) missing.push_back(c + "/" + org);
      fmt::print(err_, "fabnet up: no agreed leader within {:.0f}s in {}; see {}/<node>/log\n",
                 seconds(limit), fmt::join(missing, ", "), layout_.dir.string());
      return false;
    }
    std::this_thread::sleep_for(kTick);
  }
  return false;
}

void Session::watch() {
  while (!interrupted()) {
    tick();
    if (!state_.anything_alive()) {
      note("every process is gone (fabnet down?)");
      return;
    }
    std::this_thread::sleep_for(kTick);
  }
}

// The scripted faults of `./run demo`, timed from the moment every group has a
// leader and scaled by the election's timings: kill -9 channel1's first org's
// leader; pause the second org's leader past LAT, then resume it; restart the
// killed peer with its ledger.
void Session::run_demo_script() {
  const double lat = seconds(net_.timings.leader_alive_threshold);
  const double led = seconds(net_.timings.leader_election_duration);
  const std::string channel = layout_.channels.front();
  const std::string org1 = net_.orgs.front().name;
  const std::string org2 = net_.orgs.size() > 1 ? net_.orgs[1].name : org1;
  struct Step {
    double at;
    std::function<void()> act;
  };
  std::string killed, paused;
  const double base = now();
  const double kill_at = base + lat / 2, pause_at = kill_at + lat / 2,
               resume_at = pause_at + 2 * lat + led + 2;  // outlasts the failover bound
  const double restart_at = std::max(resume_at, kill_at + 2 * lat + led) + lat / 2;
  const double end_at = restart_at + 2 * lat + 5;
  std::vector<Step> steps = {
      {kill_at,
       [&] {
         killed = group_leader(last_, channel, org1).agreed_leader();
         if (killed.empty()) return note("script: no agreed leader to kill; skipped");
         signal_group(state_.nodes[killed], SIGKILL);
         note(fmt::format("script: kill -9 {} (leader of {}/{})", killed, channel, org1));
       }},
      {pause_at,
       [&] {
         paused = group_leader(last_, channel, org2).agreed_leader();
         if (paused.empty() || paused == killed)
           return note("script: no other leader to pause; skipped");
         signal_group(state_.nodes[paused], SIGSTOP);
         note(fmt::format("script: pause {} (leader of {}/{}) for {:.0f}s, past LAT {:.0f}s",
                          paused, channel, org2, resume_at - pause_at, lat));
       }},
      {resume_at,
       [&] {
         if (paused.empty()) return;
         signal_group(state_.nodes[paused], SIGCONT);
         note(fmt::format("script: resume {}", paused));
       }},
      {restart_at,
       [&] {
         if (killed.empty()) return;
         state_.nodes[killed] = start_node(layout_, *layout_.find(killed));
         save();
         note(fmt::format("script: restart {} with its ledger", killed));
       }},
  };
  std::size_t next = 0;
  while (!interrupted() && now() < end_at) {
    tick();
    while (next < steps.size() && now() >= steps[next].at) steps[next++].act();
    std::this_thread::sleep_for(kTick);
  }
}

void Session::wait_level(std::chrono::seconds limit) {
  const auto deadline = Clock::now() + limit;
  // The orderer cuts what is still pending after BatchTimeout: level counts once it
  // has held that long.
  const auto hold = net_.orderer.batch_timeout + 1s;
  std::optional<Clock::time_point> level_since;
  while (!interrupted() && Clock::now() < deadline) {
    tick();
    bool level = true;
    for (const PeerSample& p : last_.peers)
      for (const auto& [channel, c] : p.on)
        if (c.height != last_.orderer_height[channel]) level = false;
    for (const PeerSample& p : last_.peers)
      if (p.health != PeerSample::Health::kUp) level = false;
    if (!level) {
      level_since.reset();
    } else if (!level_since) {
      level_since = Clock::now();
    } else if (Clock::now() - *level_since >= hold) {
      return;
    }
    std::this_thread::sleep_for(kTick);
  }
}

void Session::stop(bool quiet) {
  terminal_.release();
  if (!quiet)
    fmt::print(out_, "stopping {} processes (Ctrl-C again to kill them)\n",
               everything(state_).size());
  const int before = g_interrupts;
  const auto killed = stop_all(everything(state_), 10s, [before] { return g_interrupts > before; });
  if (!killed.empty()) fmt::print(out_, "killed (SIGKILL) {}\n", fmt::join(killed, ", "));
}

bool Session::check_chains() {
  // Stores are read once the processes are gone, so no LevelDB lock is held.
  bool all_equal = true;
  for (const std::string& channel : layout_.channels) {
    auto chain_end = [&](const Node& node) -> std::pair<std::uint64_t, std::string> {
      try {
        ledger::BlockStoreProvider stores(layout_.ledger_dir(node));
        ledger::BlockStore& store = stores.open(channel);
        const std::uint64_t h = store.height();
        if (h == 0) return {0, ""};
        const auto block = store.block(h - 1);
        return {h, block ? ledger::header_hash(block->header()) : std::string("missing")};
      } catch (const std::exception& e) {
        return {0, std::string("unreadable: ") + e.what()};
      }
    };
    const auto [oh, ohash] = chain_end(layout_.nodes.front());
    std::vector<std::string> differ;
    for (const Node& node : layout_.nodes) {
      if (!node.is_peer() ||
          std::find(node.channels.begin(), node.channels.end(), channel) == node.channels.end())
        continue;
      const auto [h, hash] = chain_end(node);
      if (h != oh || hash != ohash) differ.push_back(fmt::format("{} (height {})", node.name, h));
    }
    std::string hex;
    for (unsigned char c : ohash.substr(0, 8)) hex += fmt::format("{:02x}", c);
    if (differ.empty()) {
      fmt::print(
          out_,
          "check {}: every peer's chain equals the orderer's: height {}, last block hash {}…  OK\n",
          channel, oh, hex);
    } else {
      all_equal = false;
      fmt::print(out_, "check {}: orderer height {} hash {}…; differ: {}  FAILED\n", channel, oh,
                 hex, fmt::join(differ, ", "));
    }
  }
  return all_equal;
}

void Session::print_summary() {
  election::ElectionTimings timings;
  timings.startup_grace_period = net_.timings.startup_grace;
  timings.membership_sample_interval = net_.timings.membership_sample;
  timings.leader_alive_threshold = net_.timings.leader_alive_threshold;
  timings.leader_election_duration = net_.timings.leader_election_duration;
  // Loopback delays are tiny; the probe's period blurs both ends by up to a tick.
  const sim::FailoverBound bound = sim::failover_bound(timings, 0ns, kTick);
  fmt::print(out_, "\nSummary ({:.0f}s; every group had a leader {:.1f}s after start)\n", now(),
             settled_at_.value_or(-1));
  fmt::print(out_, "Leaders over time (seconds since start):\n");
  for (const auto& [key, tenures] : tracker_.leaders()) {
    std::vector<std::string> parts;
    for (const auto& t : tenures)
      parts.push_back(fmt::format("{:.1f}s {}", t.t, t.leader.empty() ? "none" : t.leader));
    fmt::print(out_, "  {}/{}: {}\n", key.first, key.second, fmt::join(parts, ", "));
  }
  fmt::print(out_, "Failovers (election.md §5 bound from the fault: {:.1f}s .. {:.1f}s):\n",
             seconds(bound.low), seconds(bound.high));
  if (tracker_.failovers().empty()) fmt::print(out_, "  none\n");
  for (const Failover& f : tracker_.failovers())
    fmt::print(out_, "  {}/{}: {} -> {} in {:.1f}s  {}\n", f.channel, f.org, f.from, f.to,
               f.seconds(),
               sim::within(bound, std::chrono::duration_cast<std::chrono::nanoseconds>(
                                      std::chrono::duration<double>(f.seconds())))
                   ? "within the bound"
                   : "OUTSIDE the bound");
  fmt::print(out_, "Worst lag: {} blocks{}\n", tracker_.worst_lag(),
             tracker_.worst_lag_peer().empty() ? "" : " (" + tracker_.worst_lag_peer() + ")");
  for (const CatchUp& c : tracker_.catch_ups())
    fmt::print(out_, "  catch-up: {} on {}: {} blocks behind, level after {:.1f}s\n", c.peer,
               c.channel, c.blocks, c.seconds);
}

int Session::run() {
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  if (!start_nodes() || !wait_for_leaders()) {
    stop(true);
    if (interrupted())
      fmt::print(err_, "fabnet up: interrupted; everything started is stopped\n");
    else
      fmt::print(err_, "fabnet up: everything started is stopped\n");
    return kExitFailure;
  }
  start_load(state_, layout_, net_, net_.load.rate);
  save();
  note(fmt::format(
      "load: {:g} tx/s per channel (signed envelopes of {} bytes{}; logs {}/load.<channel>.log)",
      net_.load.rate, net_.load.size, layout_.tls ? ", over TLS" : "", layout_.dir.string()));
  if (options_.detach) {
    terminal_.release();
    tick();
    for (const Line& line :
         render({layout_.dir.string(), state_.load_rate, layout_.tls}, last_, tracker_, {}, 0))
      fmt::print(out_, "{}\n", plain_text(line));
    fmt::print(
        out_,
        "\nThe network runs in the background. fabnet status --dir {0} | fabnet logs --dir {0} "
        "NODE | fabnet kill|pause|resume|restart NODE --dir {0} | fabnet down --dir {0}\n",
        layout_.dir.string());
    return kExitOk;
  }
  if (!options_.demo) {
    watch();
    stop();
    print_summary();
    return kExitOk;
  }
  run_demo_script();
  // The demo ends quietly: no new blocks, every peer level, then the chains compared.
  if (!interrupted()) {
    stop_all(
        [&] {
          std::vector<Named> load;
          for (const auto& [c, p] : state_.load) load.push_back({"load." + c, p});
          return load;
        }(),
        5s);
    note("script: load stopped; waiting for every peer to be level with the orderer");
    wait_level(30s);
  }
  stop();
  print_summary();
  return check_chains() ? kExitOk : kExitFailure;
}

}  // namespace

int run_up(const UpOptions& options, std::ostream& out, std::ostream& err) {
  NetworkFile net;
  std::string text;
  try {
    if (options.network_file.empty()) {
      text = std::string(default_network_text());
      net = default_network();
    } else {
      std::ifstream in(options.network_file);
      if (!in) throw UpConfigError(fmt::format("{}: cannot read the file", options.network_file));
      text.assign(std::istreambuf_iterator<char>(in), {});
      net = parse_network_file(text, options.network_file);
    }
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet up: {}\n", e.what());
    return kExitConfig;
  }
  Layout layout = plan_layout(net, options.dir);
  try {
    prepare_dir(layout.dir, out);
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet up: {}\n", e.what());
    return kExitConfig;
  }
  if (auto taken = taken_port(net, layout)) {
    fmt::print(err, "fabnet up: {}\n", *taken);
    return kExitFailure;
  }
  try {
    write_layout(net, layout, self_binary());
  } catch (const std::exception& e) {
    fmt::print(err, "fabnet up: {}\n", e.what());
    return kExitFailure;
  }
  UpState state;
  state.network_text = text;
  state.network_source = net.source;
  state.launcher = options.detach ? ProcessId{} : identify(::getpid());
  state.started_at = utc_now();
  g_interrupts = 0;
  Session session(std::move(net), std::move(layout), std::move(state), options, out, err);
  return session.run();
}

int run_down(const fs::path& dir, std::ostream& out, std::ostream& err) {
  UpState state;
  try {
    state = running_network(dir);
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet down: {}\n", e.what());
    return kExitFailure;
  }
  // A foreground `fabnet up` stops its network itself and prints its summary.
  if (state.launcher.pid != ::getpid()) signal_group(state.launcher, SIGTERM);
  const auto all = everything(state);
  const auto killed = stop_all(all, 10s);
  for (int i = 0; i < 100 && state_of(state.launcher) != ProcessState::kGone; ++i)
    std::this_thread::sleep_for(50ms);
  fmt::print(out, "stopped {} processes of the network in {}{}\n", all.size(), dir.string(),
             killed.empty() ? "" : fmt::format(" ({} needed SIGKILL)", fmt::join(killed, ", ")));
  return kExitOk;
}

int run_status(const fs::path& dir, std::ostream& out, std::ostream& err) {
  try {
    const UpState state = running_network(dir);
    const NetworkFile net = state.network();
    const Layout layout = plan_layout(net, dir);
    Tracker tracker;
    const Snapshot s = probe(net, layout, state, 0);
    tracker.observe(s);
    for (const Line& line :
         render({layout.dir.string(), state.load_rate, layout.tls}, s, tracker, {}, 0))
      fmt::print(out, "{}\n", plain_text(line));
    std::uint64_t kib = 0;
    int alive = 0;
    for (const Named& p : everything(state)) {
      const std::uint64_t k = rss_kib(p.process);
      kib += k;
      alive += k > 0;
    }
    fmt::print(out, "\n{} processes running, {:.1f} MiB resident in all\n", alive, kib / 1024.0);
    return kExitOk;
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet status: {}\n", e.what());
    return kExitFailure;
  }
}

int run_logs(const fs::path& dir, const std::string& node, int lines, std::ostream& out,
             std::ostream& err) {
  try {
    const auto state = load_state(dir);
    if (!state)
      throw UpConfigError(fmt::format("{}: no network here (no fabnet-up.json)", dir.string()));
    const Layout layout = plan_layout(state->network(), dir);
    fs::path file;
    if (const Node* n = layout.find(node))
      file = layout.log_file(*n);
    else if (node.rfind("load.", 0) == 0)
      file = layout.load_log(node.substr(5));
    if (file.empty() || !fs::exists(file)) {
      std::vector<std::string> names;
      for (const Node& n : layout.nodes) names.push_back(n.name);
      throw UpConfigError(
          fmt::format("NODE {:?}: no such node; expected one of {} or load.<channel>", node,
                      fmt::join(names, ", ")));
    }
    std::ifstream in(file);
    std::deque<std::string> tail;
    std::string line;
    while (std::getline(in, line)) {
      tail.push_back(line);
      if (lines > 0 && static_cast<int>(tail.size()) > lines) tail.pop_front();
    }
    for (const auto& l : tail) fmt::print(out, "{}\n", l);
    return kExitOk;
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet logs: {}\n", e.what());
    return kExitConfig;
  }
}

int run_fault(const fs::path& dir, const std::string& action, const std::string& node,
              std::ostream& out, std::ostream& err) {
  try {
    UpState state = running_network(dir);
    const Layout layout = plan_layout(state.network(), dir);
    const Node* n = layout.find(node);
    if (n == nullptr) {
      std::vector<std::string> names;
      for (const Node& x : layout.nodes) names.push_back(x.name);
      throw UpConfigError(
          fmt::format("NODE {:?}: no such node; expected one of {}", node, fmt::join(names, ", ")));
    }
    ProcessId& p = state.nodes[node];
    const ProcessState before = state_of(p);
    if (action == "restart") {
      if (before != ProcessState::kGone) {
        signal_group(p, SIGKILL);
        for (int i = 0; i < 100 && state_of(p) != ProcessState::kGone; ++i)
          std::this_thread::sleep_for(20ms);
      }
      p = start_node(layout, *n);
      save_state(dir, state);
      fmt::print(out, "{}: started again (pid {}), ledger kept\n", node, p.pid);
      return kExitOk;
    }
    if (before == ProcessState::kGone)
      throw UpConfigError(fmt::format("{} is not running; `fabnet restart {} --dir {}` starts it",
                                      node, node, dir.string()));
    const int sig = action == "kill" ? SIGKILL : action == "pause" ? SIGSTOP : SIGCONT;
    signal_group(p, sig);
    fmt::print(out, "{}: {} (pid {})\n", node,
               action == "kill"    ? "killed (SIGKILL)"
               : action == "pause" ? "paused (SIGSTOP)"
                                   : "resumed (SIGCONT)",
               p.pid);
    return kExitOk;
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet {}: {}\n", action, e.what());
    return kExitFailure;
  }
}

int run_load(const fs::path& dir, double rate, std::ostream& out, std::ostream& err) {
  try {
    UpState state = running_network(dir);
    const NetworkFile net = state.network();
    const Layout layout = plan_layout(net, dir);
    std::vector<Named> old;
    for (const auto& [c, p] : state.load) old.push_back({"load." + c, p});
    stop_all(old, 5s);
    start_load(state, layout, net, rate);
    save_state(dir, state);
    fmt::print(out, "load: {:g} tx/s per channel on {}\n", rate, fmt::join(layout.channels, ", "));
    return kExitOk;
  } catch (const UpConfigError& e) {
    fmt::print(err, "fabnet load: {}\n", e.what());
    return kExitFailure;
  }
}

}  // namespace fabnet::up
