#include "cli/crypto_command.h"

#include <filesystem>
#include <string>

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "config/network_config.h"
#include "crypto/error.h"
#include "crypto/generate.h"

namespace fabnet::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kChannelsFile = "channels.yaml";

// Every channel of the network with its member orgs' CA certificates as written
// by the generator, and their anchor peers.
config::ChannelDefinitions channel_definitions(const config::NetworkConfig& network,
                                               const crypto::NetworkSpec& spec,
                                               const fs::path& out) {
  config::ChannelDefinitions defs;
  for (const config::NetworkConfig::Channel& channel : network.channels) {
    config::ChannelDefinition def;
    def.name = channel.name;
    for (const std::string& msp_id : channel.orgs) {
      // spec.orgs[i] is network.orgs[i] (to_network_spec keeps the order).
      for (size_t i = 0; i < network.orgs.size(); ++i) {
        if (network.orgs[i].msp_id != msp_id) continue;
        config::ChannelOrg member;
        member.msp_id = msp_id;
        member.ca_cert_file = crypto::ca_certificate_file(out, spec.orgs[i]);
        member.anchor_peers = network.orgs[i].anchor_peers;
        def.orgs.push_back(std::move(member));
      }
    }
    defs.channels.push_back(std::move(def));
  }
  if (network.orderer && spec.orderer) {
    config::OrdererDefinition orderer;
    orderer.msp_id = network.orderer->msp_id;
    orderer.ca_cert_file = crypto::orderer_ca_certificate_file(out, *spec.orderer);
    orderer.endpoints = network.orderer->endpoints;
    orderer.batch = network.orderer->batch;
    defs.orderer = std::move(orderer);
  }
  return defs;
}

void print_summary(std::ostream& out, const config::NetworkConfig& network,
                   const crypto::NetworkSpec& spec, const fs::path& dir,
                   const fs::path& channels_file) {
  size_t peers = 0;
  for (const auto& org : spec.orgs) peers += org.peers.size();
  fmt::print(out, "Generated crypto material for {} org{} and {} peer{} in {}\n", spec.orgs.size(),
             spec.orgs.size() == 1 ? "" : "s", peers, peers == 1 ? "" : "s", dir.string());
  for (const auto& org : spec.orgs) {
    fmt::print(out, "  {} ({}): CA {}\n", org.name, org.msp_id,
               crypto::ca_certificate_file(dir, org).string());
    fmt::print(
        out, "    peers {}: {}\n", fmt::join(org.peers, ", "),
        (crypto::org_folder(dir, org) / "peers" / ("<peer>." + org.domain) / "msp").string());
    fmt::print(out, "    TLS CA {}; each peer's tls/server.crt, server.key, ca.crt\n",
               crypto::tls_ca_certificate_file(dir, org).string());
  }
  if (spec.orderer) {
    fmt::print(out, "  {} ({}): CA {}\n    orderers {}: {}\n", spec.orderer->name,
               spec.orderer->msp_id,
               crypto::orderer_ca_certificate_file(dir, *spec.orderer).string(),
               fmt::join(spec.orderer->peers, ", "),
               (crypto::orderer_org_folder(dir, *spec.orderer) / "orderers" /
                ("<host>." + spec.orderer->domain) / "msp")
                   .string());
  }
  std::vector<std::string> channels;
  for (const auto& c : network.channels) channels.push_back(c.name);
  fmt::print(out, "Channel definitions: {} ({} channel{}{}{})\n", channels_file.string(),
             channels.size(), channels.size() == 1 ? "" : "s", channels.empty() ? "" : ": ",
             fmt::join(channels, ", "));
  fmt::print(out,
             "Give each peer its msp folder as peer.mspConfigPath, its org's MSP ID as "
             "peer.localMspId, and {}.\n",
             kChannelsFile);
}

class CryptoCommand final : public Command {
 public:
  explicit CryptoCommand(CLI::App& parent) {
    CLI::App* crypto = parent.add_subcommand("crypto", "Crypto material for a local network");
    crypto->require_subcommand(1);
    generate_ = crypto->add_subcommand(
        "generate",
        "A CA per org, a key and certificate per peer (cryptogen's layout), and channels.yaml");
    generate_->add_option("--config", config_path_, "NETWORK.yaml: orgs, peers and channels")
        ->type_name("FILE")
        ->required();
    generate_->add_option("--output", output_, "Folder to write into (created if missing)")
        ->type_name("DIR")
        ->capture_default_str();
    generate_->footer(
        "\nNETWORK.yaml:\n"
        "  orgs:\n"
        "    - {name: Org1, msp_id: Org1MSP, domain: org1.example.com, peers: 3}\n"
        "    - {name: Org2, msp_id: Org2MSP, domain: org2.example.com, peers: [peer0, peer1]}\n"
        "  channels:\n"
        "    - {name: mychannel, orgs: [Org1MSP, Org2MSP]}\n"
        "  orderer:   # optional\n"
        "    {name: Orderer, msp_id: OrdererMSP, domain: example.com, hosts: [orderer]}\n"
        "\nWrites what Fabric's cryptogen writes (NodeOUs enabled):\n"
        "DIR/peerOrganizations/<domain>/{ca,tlsca,msp,peers/<peer>.<domain>/{msp,tls},\n"
        "users/{Admin,User1}@<domain>/{msp,tls}}, DIR/ordererOrganizations/<domain>/\n"
        "{ca,tlsca,msp,orderers/<host>.<domain>/{msp,tls},users/Admin@<domain>} and\n"
        "DIR/channels.yaml. See docs/operations.md.\n"
        "\nExit status: 0 done, 2 bad network file or output folder.\n");
  }

  bool selected() const override { return generate_->parsed(); }

  int run(std::ostream& out, std::ostream& err) override {
    try {
      const config::NetworkConfig network = config::load_network_config_file(config_path_);
      const crypto::NetworkSpec spec = config::to_network_spec(network);
      const fs::path dir(output_);
      const fs::path channels_file = dir / kChannelsFile;
      std::error_code ec;
      // Checked first so a second run fails before writing anything.
      if (fs::exists(channels_file, ec)) {
        throw crypto::CryptoError(channels_file.string(), "already exists",
                                  "an output folder without earlier generated material");
      }
      crypto::generate_crypto_material(spec, dir);
      config::write_channel_definitions(channel_definitions(network, spec, dir), channels_file);
      config::load_channel_definitions_file(channels_file);  // what peers will read must load
      print_summary(out, network, spec, dir, channels_file);
      return kExitOk;
    } catch (const std::exception& e) {
      // ConfigError, CryptoError or an OpenSSL failure: all one sentence.
      fmt::print(err, "fabnet crypto generate: {}\n", e.what());
      return kExitConfig;
    }
  }

 private:
  CLI::App* generate_ = nullptr;
  std::string config_path_;
  std::string output_ = "crypto-config";  // cryptogen's default
};

}  // namespace

std::unique_ptr<Command> make_crypto_command(CLI::App& parent) {
  return std::make_unique<CryptoCommand>(parent);
}

}  // namespace fabnet::cli
