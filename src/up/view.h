#pragma once

// The live view of a `fabnet up` network, kept pure: a Snapshot (what the probes
// saw at one instant) goes into a Tracker, which derives events (leader changes
// with their failover time, peers dying and returning, catch-up) and a history
// for the demo's summary; render() turns a snapshot plus recent events into
// styled lines. Only terminal.h knows how a style or a redraw looks.

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace fabnet::up {

struct PeerSample {
  enum class Health { kUp, kPaused, kDown, kSilent };  // silent: running, no /status answer
  std::string name;                                    // peer0.org1
  std::string org;                                     // Org1
  std::vector<std::string> channels;                   // joined (from the layout)
  Health health = Health::kDown;
  std::string pki_id;
  struct Channel {
    long long height = -1;
    bool is_leader = false;
    std::string believed_leader;  // pki id, empty when none
  };
  std::map<std::string, Channel> on;  // by channel; present when /status answered
};

struct Snapshot {
  double t = 0;  // seconds since the network was started
  bool orderer_up = false;
  std::map<std::string, long long> orderer_height;  // by channel; -1 unknown
  std::vector<PeerSample> peers;
  std::vector<std::string> channels;
  std::vector<std::string> orgs;  // in order
  std::map<std::string, std::vector<std::string>> channel_orgs;
};

// The leader of one (channel, org) as seen in a snapshot.
struct GroupLeader {
  std::vector<std::string> leaders;  // up members that say they lead
  bool agreed = false;               // one leader and every up member names it
  std::string agreed_leader() const { return agreed ? leaders.front() : std::string(); }
};
GroupLeader group_leader(const Snapshot& s, const std::string& channel, const std::string& org);

struct Event {
  double t = 0;
  enum class Kind {
    kLeader,
    kNoLeader,
    kTwoLeaders,
    kPeerDown,
    kPeerPaused,
    kPeerBack,
    kCaughtUp,
    kInfo
  };
  Kind kind = Kind::kInfo;
  std::string text;  // one line without the time
};

struct LeaderTenure {
  double t = 0;
  std::string leader;  // empty: none
};
struct Failover {
  std::string channel, org;
  double lost_at = 0, elected_at = 0;
  std::string from, to;
  double seconds() const { return elected_at - lost_at; }
};
struct CatchUp {
  std::string peer, channel;
  long long blocks = 0;  // the largest lag while behind
  double seconds = 0;    // from falling behind to level with the orderer
};

// Turns successive snapshots into events and keeps the history of the run.
class Tracker {
 public:
  // A peer more than `lag_threshold` blocks behind is "behind" until it is level.
  explicit Tracker(long long lag_threshold = 2) : lag_threshold_(lag_threshold) {}

  std::vector<Event> observe(const Snapshot& s);

  const std::map<std::pair<std::string, std::string>, std::vector<LeaderTenure>>& leaders() const {
    return history_;
  }
  const std::vector<Failover>& failovers() const { return failovers_; }
  const std::vector<CatchUp>& catch_ups() const { return catch_ups_; }
  long long worst_lag() const { return worst_lag_; }
  std::string worst_lag_peer() const { return worst_lag_peer_; }
  // Blocks per second of the orderer's chain on `channel` over the last ~5 s.
  double blocks_per_second(const std::string& channel) const;
  // Whether every (channel, org) has one agreed leader now.
  bool all_settled() const;

 private:
  struct GroupState {
    std::string leader;  // agreed; empty none
    bool ever = false;
    double leaderless_since = 0;
    std::string last_leader;
    int leaders_seen = 0;  // for "2 leaders" edges
  };
  struct Behind {
    double since = 0;
    long long worst = 0;
  };
  long long lag_threshold_;
  std::optional<Snapshot> last_;
  std::map<std::pair<std::string, std::string>, GroupState> groups_;
  std::map<std::pair<std::string, std::string>, std::vector<LeaderTenure>> history_;
  std::map<std::string, PeerSample::Health> health_;
  std::map<std::pair<std::string, std::string>, Behind> behind_;  // (peer, channel)
  std::vector<Failover> failovers_;
  std::vector<CatchUp> catch_ups_;
  long long worst_lag_ = 0;
  std::string worst_lag_peer_;
  std::map<std::string, std::deque<std::pair<double, long long>>> heights_;  // by channel
};

enum class Style { kPlain, kBold, kGood, kAlert, kDim };
struct Span {
  std::string text;
  Style style = Style::kPlain;
};
using Line = std::vector<Span>;

struct ViewHeader {
  std::string dir;
  double load_rate = 0;
  bool tls = false;
};

// The whole screen: a header, per channel the orderer's height and blocks/s and
// per org the leader and each peer's height and lag, then the last `max_events`
// events (none, and no heading, when it is 0).
std::vector<Line> render(const ViewHeader& header, const Snapshot& s, const Tracker& tracker,
                         const std::deque<Event>& recent, std::size_t max_events = 8);
// "[  12.3s] text"
std::string format_event(const Event& e);
std::string plain_text(const Line& line);

}  // namespace fabnet::up
