// Scenario -> YAML that loads back into an equal scenario (reproducers, --out).
// yaml-cpp's emitter does the quoting, as in config/network_config.cc.

#include <yaml-cpp/yaml.h>

#include <string>

#include <fmt/format.h>

#include "config/duration.h"
#include "sim/scenario.h"

namespace fabnet::sim {
namespace {

using config::format_duration;

std::string number_text(double value) {
  return fmt::format("{}", value);  // shortest text that reads back as the same double
}

void write_leader_of(YAML::Emitter& out, const LeaderOf& leader_of) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "channel" << YAML::Value << leader_of.channel
      << YAML::Key << "org" << YAML::Value << leader_of.org << YAML::EndMap;
}

void write_peer_set(YAML::Emitter& out, const PeerSet& set) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const std::string& peer : set.peers) out << peer;
  for (const LeaderOf& leader_of : set.leaders_of) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "leader_of" << YAML::Value;
    write_leader_of(out, leader_of);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

void write_strings(YAML::Emitter& out, const std::vector<std::string>& items) {
  out << YAML::Flow << YAML::BeginSeq;
  for (const std::string& item : items) out << item;
  out << YAML::EndSeq;
}

void write_link_fields(YAML::Emitter& out, const LinkChange& link) {
  if (link.latency) out << YAML::Key << "latency" << YAML::Value << format_duration(*link.latency);
  if (link.jitter) out << YAML::Key << "jitter" << YAML::Value << format_duration(*link.jitter);
  if (link.loss) out << YAML::Key << "loss" << YAML::Value << number_text(*link.loss);
  if (link.duplicate) {
    out << YAML::Key << "duplicate" << YAML::Value << number_text(*link.duplicate);
  }
}

void write_fault(YAML::Emitter& out, const Fault& f) {
  out << YAML::Flow << YAML::BeginMap;
  out << YAML::Key << "at" << YAML::Value << format_duration(f.at);
  out << YAML::Key << "kind" << YAML::Value << std::string(to_string(f.kind));
  if (f.leader_of) {
    out << YAML::Key << "leader_of" << YAML::Value;
    write_leader_of(out, *f.leader_of);
  } else if (f.peers.size() == 1) {
    out << YAML::Key << "peer" << YAML::Value << f.peers.front();
  } else if (!f.peers.empty()) {
    out << YAML::Key << "peers" << YAML::Value;
    write_strings(out, f.peers);
  }
  if (!f.name.empty()) out << YAML::Key << "name" << YAML::Value << f.name;
  if (f.empty_ledger) out << YAML::Key << "empty_ledger" << YAML::Value << "true";
  if (!f.channel.empty()) out << YAML::Key << "channel" << YAML::Value << f.channel;
  if (f.kind == FaultKind::kOrdererRefuse) out << YAML::Key << "status" << YAML::Value << f.status;
  switch (f.kind) {
    case FaultKind::kPartition:
      if (f.is_one_way()) {
        out << YAML::Key << "one_way" << YAML::Value << YAML::Flow << YAML::BeginMap;
        out << YAML::Key << "from" << YAML::Value;
        write_peer_set(out, f.one_way_from);
        out << YAML::Key << "to" << YAML::Value;
        write_peer_set(out, f.one_way_to);
        out << YAML::EndMap;
      } else {
        out << YAML::Key << "sides" << YAML::Value << YAML::Flow << YAML::BeginMap;
        for (const auto& [side, members] : f.sides) {
          out << YAML::Key << side << YAML::Value;
          write_peer_set(out, members);
        }
        out << YAML::EndMap;
      }
      break;
    case FaultKind::kSkew:
      out << YAML::Key << "rate" << YAML::Value << number_text(f.rate);
      break;
    case FaultKind::kLink:
      if (!f.pair.empty()) {
        out << YAML::Key << "pair" << YAML::Value << YAML::Flow << YAML::BeginSeq;
        for (const PeerSet& one : f.pair) {
          if (!one.peers.empty()) {
            out << one.peers.front();
          } else {
            out << YAML::Flow << YAML::BeginMap << YAML::Key << "leader_of" << YAML::Value;
            write_leader_of(out, one.leaders_of.front());
            out << YAML::EndMap;
          }
        }
        out << YAML::EndSeq;
      }
      write_link_fields(out, f.link);
      break;
    default:
      break;
  }
  out << YAML::EndMap;
}

}  // namespace

std::string to_yaml(const Scenario& s) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << YAML::DoubleQuoted << s.name;
  out << YAML::Key << "seed" << YAML::Value << std::to_string(s.seed);
  out << YAML::Key << "duration" << YAML::Value << format_duration(s.duration);
  if (s.membership != MembershipModel::kGossip) {
    out << YAML::Key << "membership" << YAML::Value << std::string(to_string(s.membership));
  }

  out << YAML::Key << "network" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "orgs" << YAML::Value << YAML::BeginSeq;
  for (const OrgSpec& org : s.orgs) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << org.name
        << YAML::Key << "msp_id" << YAML::Value << org.msp_id << YAML::Key << "peers" << YAML::Value
        << org.peers << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::Key << "channels" << YAML::Value << YAML::BeginSeq;
  for (const ChannelSpec& channel : s.channels) {
    out << YAML::Flow << YAML::BeginMap << YAML::Key << "name" << YAML::Value << channel.name
        << YAML::Key << "orgs" << YAML::Value;
    write_strings(out, channel.orgs);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  if (!s.joins.empty()) {
    out << YAML::Key << "joins" << YAML::Value << YAML::BeginMap;
    for (const auto& [peer, channels] : s.joins) {
      out << YAML::Key << peer << YAML::Value;
      write_strings(out, channels);
    }
    out << YAML::EndMap;
  }
  out << YAML::Key << "start_spread" << YAML::Value << format_duration(s.start_spread);
  if (s.start_step > Duration::zero()) {
    out << YAML::Key << "start_step" << YAML::Value << format_duration(s.start_step);
  }
  if (!s.start_at.empty()) {
    out << YAML::Key << "start_at" << YAML::Value << YAML::BeginMap;
    for (const auto& [peer, at] : s.start_at)
      out << YAML::Key << peer << YAML::Value << format_duration(at);
    out << YAML::EndMap;
  }
  if (s.bootstrap_first) out << YAML::Key << "bootstrap_first" << YAML::Value << "true";
  out << YAML::EndMap;

  const config::GossipSettings& g = s.settings.gossip;
  const GossipExtras& x = s.settings.extras;
  out << YAML::Key << "settings" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "peer" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "gossip" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "useLeaderElection" << YAML::Value
      << (g.use_leader_election ? "true" : "false");
  out << YAML::Key << "orgLeader" << YAML::Value << (g.org_leader ? "true" : "false");
  if (!g.bootstrap.empty()) {
    out << YAML::Key << "bootstrap" << YAML::Value;
    write_strings(out, g.bootstrap);
  }
  out << YAML::Key << "election" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "startupGracePeriod" << YAML::Value
      << format_duration(g.election.startup_grace_period);
  out << YAML::Key << "membershipSampleInterval" << YAML::Value
      << format_duration(g.election.membership_sample_interval);
  out << YAML::Key << "leaderAliveThreshold" << YAML::Value
      << format_duration(g.election.leader_alive_threshold);
  out << YAML::Key << "leaderElectionDuration" << YAML::Value
      << format_duration(g.election.leader_election_duration);
  out << YAML::EndMap;
  const auto duration = [&](const char* key, Duration d) {
    out << YAML::Key << key << YAML::Value << format_duration(d);
  };
  duration("aliveTimeInterval", g.alive_time_interval);
  duration("aliveExpirationTimeout", g.alive_expiration_timeout);
  duration("reconnectInterval", g.reconnect_interval);
  duration("pullInterval", g.pull_interval);
  out << YAML::Key << "pullPeerNum" << YAML::Value << g.pull_peer_num;
  out << YAML::Key << "propagatePeerNum" << YAML::Value << g.propagate_peer_num;
  duration("publishStateInfoInterval", g.publish_state_info_interval);
  duration("requestStateInfoInterval", g.request_state_info_interval);
  duration("publishCertPeriod", g.publish_cert_period);
  if (x.msg_expiration_factor) {
    out << YAML::Key << "msgExpirationFactor" << YAML::Value << *x.msg_expiration_factor;
  }
  if (x.max_connection_attempts) {
    out << YAML::Key << "maxConnectionAttempts" << YAML::Value << *x.max_connection_attempts;
  }
  duration("digestWaitTime", g.digest_wait_time);
  duration("requestWaitTime", g.request_wait_time);
  duration("responseWaitTime", g.response_wait_time);
  out << YAML::Key << "maxBlockCountToStore" << YAML::Value << g.max_block_count_to_store;
  out << YAML::Key << "state" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << (g.state_enabled ? "true" : "false");
  duration("checkInterval", g.state_check_interval);
  duration("responseTimeout", g.state_response_timeout);
  out << YAML::Key << "batchSize" << YAML::Value << g.state_batch_size;
  out << YAML::Key << "blockBufferSize" << YAML::Value << g.state_block_buffer_size;
  out << YAML::Key << "maxRetries" << YAML::Value << g.state_max_retries;
  out << YAML::EndMap;
  out << YAML::EndMap;  // gossip
  out << YAML::Key << "deliveryclient" << YAML::Value << YAML::BeginMap;
  duration("reconnectTotalTimeThreshold", s.settings.delivery.reconnect_total_time_threshold);
  duration("reConnectBackoffThreshold", s.settings.delivery.reconnect_backoff_threshold);
  out << YAML::EndMap;
  out << YAML::EndMap << YAML::EndMap;

  out << YAML::Key << "link" << YAML::Value << YAML::BeginMap;
  write_link_fields(out, LinkChange{s.link.latency, s.link.jitter, s.link.loss, s.link.duplicate});
  out << YAML::EndMap;

  if (s.blocks.enabled) {
    const BlockSpec& b = s.blocks;
    out << YAML::Key << "blocks" << YAML::Value << YAML::BeginMap;
    out << YAML::Key << "rate" << YAML::Value << number_text(b.rate);
    out << YAML::Key << "envelopes" << YAML::Value << b.envelopes;
    out << YAML::Key << "envelope_bytes" << YAML::Value << b.envelope_bytes;
    out << YAML::Key << "from" << YAML::Value << format_duration(b.from);
    if (b.until) out << YAML::Key << "until" << YAML::Value << format_duration(*b.until);
    out << YAML::Key << "orderer_latency" << YAML::Value << format_duration(b.orderer_latency);
    out << YAML::Key << "sample_interval" << YAML::Value << format_duration(b.sample_interval);
    if (!b.channels.empty()) {
      out << YAML::Key << "channels" << YAML::Value;
      write_strings(out, b.channels);
    }
    out << YAML::EndMap;
  }
  if (!s.faults.empty()) {
    out << YAML::Key << "faults" << YAML::Value << YAML::BeginSeq;
    for (const Fault& f : s.faults) write_fault(out, f);
    out << YAML::EndSeq;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace fabnet::sim
