#include "config/cryptogen_config.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <yaml-cpp/yaml.h>

#include "config/yaml_text.h"

namespace fabnet::config {

namespace fs = std::filesystem;

namespace {

// A guard against typos like 3000 for 3; cryptogen has no limit.
constexpr int kMaxCount = 1000;
constexpr std::string_view kExpectName =
    "letters, digits, '-' and '.', not starting or ending with '.' or '-'";

std::string shown(const YAML::Node& n) {
  if (n.IsScalar()) return n.Scalar();
  if (!n.IsMap() && !n.IsSequence()) return "";
  YAML::Emitter out;
  out << flow_copy(n);
  std::string text = out.c_str();
  if (text.size() > 60) text = text.substr(0, 57) + "...";
  return text;
}

std::string child(std::string_view parent, std::string_view name) {
  return parent.empty() ? std::string(name) : fmt::format("{}.{}", parent, name);
}

bool is_dns_like(std::string_view name) {
  if (name.empty() || name.front() == '.' || name.front() == '-' || name.back() == '.' ||
      name.back() == '-' || name.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.') return false;
  }
  return true;
}

std::string replace_all(std::string text, std::string_view from, std::string_view to) {
  for (std::size_t at = text.find(from); at != std::string::npos;
       at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  [[noreturn]] void fail(const YAML::Node& n, const std::string& key, const std::string& value,
                         const std::string& problem, std::string_view expected) const {
    const YAML::Mark mark = n.Mark();
    const std::string where =
        mark.is_null() ? source_ : fmt::format("{}:{}", source_, mark.line + 1);
    throw ConfigError(where, key, value, problem, std::string(expected));
  }

  void expect_map(const YAML::Node& n, const std::string& key,
                  std::initializer_list<std::string_view> allowed,
                  std::string_view expected) const {
    if (!n.IsMap()) fail(n, key, shown(n), fmt::format("found \"{}\"", shown(n)), expected);
    for (auto it = n.begin(); it != n.end(); ++it) {
      const std::string name = it->first.IsScalar() ? it->first.Scalar() : shown(it->first);
      bool known = false;
      for (std::string_view a : allowed) known = known || a == name;
      if (!known) {
        fail(it->first, child(key, name), name, "unknown key",
             fmt::format("one of: {}", fmt::join(allowed, ", ")));
      }
    }
  }

  static YAML::Node optional(const YAML::Node& map, std::string_view name) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      if (it->first.IsScalar() && it->first.Scalar() == name) {
        if (it->second.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
        return it->second;
      }
    }
    return YAML::Node(YAML::NodeType::Undefined);
  }

  std::string string(const YAML::Node& map, const std::string& key, std::string_view name,
                     std::string_view expected, bool required) const {
    const YAML::Node n = optional(map, name);
    if (!n.IsDefined()) {
      if (required) fail(map, child(key, name), "", "is missing or empty", expected);
      return "";
    }
    if (!n.IsScalar()) {
      fail(n, child(key, name), shown(n), fmt::format("found \"{}\"", shown(n)), expected);
    }
    return n.Scalar();
  }

  int count(const YAML::Node& map, const std::string& key, std::string_view name,
            int minimum) const {
    const std::string expect = fmt::format("a whole number from {} to {}", minimum, kMaxCount);
    const std::string text = string(map, key, name, expect, false);
    if (text.empty()) return 0;
    int value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < minimum ||
        value > kMaxCount) {
      fail(optional(map, name), child(key, name), text, fmt::format("\"{}\" is not a count", text),
           expect);
    }
    return value;
  }

  bool flag(const YAML::Node& map, const std::string& key, std::string_view name) const {
    const std::string text = string(map, key, name, "true or false", false);
    if (text.empty() || text == "false" || text == "False" || text == "FALSE") return false;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    fail(optional(map, name), child(key, name), text, fmt::format("\"{}\" is not a boolean", text),
         "true or false");
  }

  YAML::Node list(const YAML::Node& map, const std::string& key, std::string_view name,
                  std::string_view expected) const {
    const YAML::Node n = optional(map, name);
    if (!n.IsDefined()) return YAML::Node(YAML::NodeType::Sequence);
    if (!n.IsSequence()) {
      fail(n, child(key, name), shown(n), fmt::format("found \"{}\"", shown(n)), expected);
    }
    return n;
  }

  std::vector<std::string> strings(const YAML::Node& map, const std::string& key,
                                   std::string_view name, std::string_view expected) const {
    const YAML::Node n = list(map, key, name, expected);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < n.size(); ++i) {
      const std::string item_key = fmt::format("{}[{}]", child(key, name), i);
      if (!n[i].IsScalar() || n[i].Scalar().empty()) {
        fail(n[i], item_key, shown(n[i]), "is not a non-empty text", expected);
      }
      out.push_back(n[i].Scalar());
    }
    return out;
  }

 private:
  std::string source_;
};

// The subject fields cryptogen takes from a node spec but fabnet does not write.
void refuse_subject_fields(const Reader& reader, const YAML::Node& node, const std::string& key) {
  for (std::string_view field :
       {"Country", "Province", "Locality", "OrganizationalUnit", "StreetAddress", "PostalCode"}) {
    const std::string value = reader.string(node, key, field, "", false);
    if (!value.empty()) {
      reader.fail(Reader::optional(node, field), child(key, field), value,
                  "custom subject fields are not supported by fabnet's generator",
                  "the key left out (subjects are C=US, ST=California, L=San Francisco)");
    }
  }
}

crypto::NetworkSpec::Org org_of(const Reader& reader, const YAML::Node& n, const std::string& key,
                                std::string_view prefix, bool peer_org) {
  reader.expect_map(n, key, {"Name", "Domain", "EnableNodeOUs", "CA", "Template", "Specs", "Users"},
                    "an org: a mapping with Name, Domain and Template or Specs");
  crypto::NetworkSpec::Org org;
  org.name = reader.string(n, key, "Name", "an org name, e.g. Org1", true);
  org.msp_id = org.name + "MSP";
  if (org.msp_id.find_first_of(" \t") != std::string::npos) {
    reader.fail(Reader::optional(n, "Name"), child(key, "Name"), org.name, "contains a space",
                "a name without spaces (the MSP ID is <Name>MSP)");
  }
  const std::string expect_domain =
      fmt::format("a domain such as org1.example.com: {}", kExpectName);
  org.domain = reader.string(n, key, "Domain", expect_domain, true);
  if (!is_dns_like(org.domain)) {
    reader.fail(Reader::optional(n, "Domain"), child(key, "Domain"), org.domain,
                fmt::format("\"{}\" is not a domain", org.domain), expect_domain);
  }
  org.node_ous = reader.flag(n, key, "EnableNodeOUs");

  if (const YAML::Node ca = Reader::optional(n, "CA"); ca.IsDefined()) {
    const std::string ca_key = child(key, "CA");
    reader.expect_map(ca, ca_key,
                      {"Hostname", "CommonName", "Country", "Province", "Locality",
                       "OrganizationalUnit", "StreetAddress", "PostalCode", "SANS"},
                      "a CA spec: a mapping");
    const std::string host = reader.string(ca, ca_key, "Hostname", "ca", false);
    if (!host.empty() && host != "ca") {
      reader.fail(Reader::optional(ca, "Hostname"), child(ca_key, "Hostname"), host,
                  "other CA host names are not supported by fabnet's generator",
                  "ca (the CA is ca.<Domain>, its TLS CA tlsca.<Domain>)");
    }
    const std::string cn = reader.string(ca, ca_key, "CommonName", "", false);
    if (!cn.empty() && cn != "{{.Hostname}}.{{.Domain}}" && cn != "ca." + org.domain) {
      reader.fail(Reader::optional(ca, "CommonName"), child(ca_key, "CommonName"), cn,
                  "custom CA common names are not supported by fabnet's generator",
                  "the key left out (the CA is ca.<Domain>)");
    }
    refuse_subject_fields(reader, ca, ca_key);
  }

  const std::string expect_host = fmt::format("a host name such as peer0: {}", kExpectName);
  std::set<std::string> hosts;
  const auto add_host = [&](const YAML::Node& where, const std::string& host_key,
                            const std::string& host, std::vector<std::string> sans) {
    if (!is_dns_like(host)) {
      reader.fail(where, host_key, host, fmt::format("\"{}\" is not a host name", host),
                  expect_host);
    }
    if (!hosts.insert(host).second) {
      reader.fail(where, host_key, host, fmt::format("\"{}\" is used twice", host),
                  "a different host name per node of an org");
    }
    org.peers.push_back(host);
    if (!sans.empty()) org.host_sans[host] = std::move(sans);
  };

  // Specs first, then the template's hosts, as cryptogen renders them.
  const std::string specs_key = child(key, "Specs");
  const YAML::Node specs = reader.list(n, key, "Specs", "a list of node specs");
  for (std::size_t i = 0; i < specs.size(); ++i) {
    const std::string spec_key = fmt::format("{}[{}]", specs_key, i);
    reader.expect_map(specs[i], spec_key,
                      {"Hostname", "CommonName", "Country", "Province", "Locality",
                       "OrganizationalUnit", "StreetAddress", "PostalCode", "SANS"},
                      "a node spec: a mapping with Hostname");
    const std::string host = reader.string(specs[i], spec_key, "Hostname", expect_host, true);
    const std::string cn = reader.string(specs[i], spec_key, "CommonName", "", false);
    if (!cn.empty() && cn != "{{.Hostname}}.{{.Domain}}" && cn != host + "." + org.domain) {
      reader.fail(Reader::optional(specs[i], "CommonName"), child(spec_key, "CommonName"), cn,
                  "custom common names are not supported by fabnet's generator",
                  "the key left out (a node's name is <Hostname>.<Domain>)");
    }
    refuse_subject_fields(reader, specs[i], spec_key);
    add_host(Reader::optional(specs[i], "Hostname"), child(spec_key, "Hostname"), host,
             reader.strings(specs[i], spec_key, "SANS", "a list of host names or IP addresses"));
  }

  if (const YAML::Node tmpl = Reader::optional(n, "Template"); tmpl.IsDefined()) {
    const std::string tmpl_key = child(key, "Template");
    reader.expect_map(tmpl, tmpl_key, {"Count", "Start", "Hostname", "SANS"},
                      "a template: a mapping with Count and optional Start, Hostname, SANS");
    const int count = reader.count(tmpl, tmpl_key, "Count", 0);
    const int start = reader.count(tmpl, tmpl_key, "Start", 0);
    std::string pattern = reader.string(tmpl, tmpl_key, "Hostname", "", false);
    if (pattern.empty()) pattern = "{{.Prefix}}{{.Index}}";
    const std::vector<std::string> sans =
        reader.strings(tmpl, tmpl_key, "SANS", "a list of host names or IP addresses");
    for (int i = 0; i < count; ++i) {
      std::string host = replace_all(pattern, "{{.Prefix}}", prefix);
      host = replace_all(host, "{{.Index}}", std::to_string(start + i));
      host = replace_all(host, "{{.Domain}}", org.domain);
      add_host(Reader::optional(tmpl, "Hostname"), child(tmpl_key, "Hostname"), host, sans);
    }
  }
  if (org.peers.empty()) {
    reader.fail(n, peer_org ? child(key, "Template.Count") : child(key, "Specs"), "",
                "defines no host",
                peer_org ? "Template.Count of 1 or more, or Specs with Hostname"
                         : "Specs with at least one Hostname, e.g. [{Hostname: orderer}]");
  }

  if (const YAML::Node users = Reader::optional(n, "Users"); users.IsDefined()) {
    const std::string users_key = child(key, "Users");
    reader.expect_map(users, users_key, {"Count"}, "a mapping with Count");
    org.users = static_cast<std::size_t>(reader.count(users, users_key, "Count", 0));
  } else {
    org.users = 0;  // cryptogen's default: Admin only
  }
  return org;
}

YAML::Node parse(std::string_view text, const std::string& source) {
  try {
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}:{}:{}", source, e.mark.line + 1, e.mark.column + 1), "", "",
                      fmt::format("malformed YAML: {}", e.msg), "a valid YAML document");
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, "", "", fmt::format("malformed YAML: {}", e.what()),
                      "a valid YAML document");
  }
}

CryptogenConfig config_of(const Reader& reader, const YAML::Node& root, std::string source) {
  reader.expect_map(root, "", {"OrdererOrgs", "PeerOrgs"},
                    "cryptogen's crypto-config.yaml: OrdererOrgs and PeerOrgs");
  CryptogenConfig config;
  config.source = std::move(source);
  const YAML::Node peer_orgs = reader.list(root, "", "PeerOrgs", "a list of orgs");
  if (peer_orgs.size() == 0) {
    reader.fail(root, "PeerOrgs", "", "is missing or empty", "at least one peer org");
  }
  for (std::size_t i = 0; i < peer_orgs.size(); ++i) {
    config.spec.orgs.push_back(
        org_of(reader, peer_orgs[i], fmt::format("PeerOrgs[{}]", i), "peer", true));
  }
  const YAML::Node orderer_orgs = reader.list(root, "", "OrdererOrgs", "a list of orgs");
  if (orderer_orgs.size() > 1) {
    reader.fail(orderer_orgs, "OrdererOrgs", shown(orderer_orgs),
                fmt::format("has {} orgs", orderer_orgs.size()),
                "at most one orderer org (fabnet runs one ordering service org)");
  }
  if (orderer_orgs.size() == 1) {
    config.spec.orderer = org_of(reader, orderer_orgs[0], "OrdererOrgs[0]", "orderer", false);
  }
  // Names that would collide in the output or in channels.yaml.
  std::set<std::string> domains, names;
  std::vector<const crypto::NetworkSpec::Org*> all;
  for (std::size_t i = 0; i < config.spec.orgs.size(); ++i) all.push_back(&config.spec.orgs[i]);
  if (config.spec.orderer) all.push_back(&*config.spec.orderer);
  for (std::size_t i = 0; i < all.size(); ++i) {
    const std::string key = i < config.spec.orgs.size() ? fmt::format("PeerOrgs[{}]", i)
                                                        : std::string("OrdererOrgs[0]");
    if (!domains.insert(all[i]->domain).second) {
      reader.fail(root, child(key, "Domain"), all[i]->domain, "is used by another org",
                  "a different Domain per org");
    }
    if (!names.insert(all[i]->name).second) {
      reader.fail(root, child(key, "Name"), all[i]->name, "is used by another org",
                  "a different Name per org (the MSP ID is <Name>MSP)");
    }
  }
  return config;
}

}  // namespace

bool is_cryptogen_config(std::string_view yaml_text) {
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    return root.IsMap() && (Reader::optional(root, "PeerOrgs").IsDefined() ||
                            Reader::optional(root, "OrdererOrgs").IsDefined());
  } catch (const YAML::Exception&) {
    return false;
  }
}

CryptogenConfig load_cryptogen_config_string(std::string_view yaml_text,
                                             std::string_view source_name) {
  const std::string source(source_name);
  const YAML::Node root = parse(yaml_text, source);
  try {
    return config_of(Reader(source), root, source);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source, "", "", fmt::format("unreadable YAML structure: {}", e.what()),
                      "cryptogen's crypto-config.yaml");
  }
}

CryptogenConfig load_cryptogen_config_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(path.string(), "", "", fmt::format("cannot open: {}", std::strerror(errno)),
                      "a readable crypto-config.yaml");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return load_cryptogen_config_string(text.str(), path.string());
}

}  // namespace fabnet::config
