#include <iostream>

#include "cli/app.h"

int main(int argc, char** argv) {
  return fabnet::cli::run_fabnet(argc, argv, std::cout, std::cerr);
}
