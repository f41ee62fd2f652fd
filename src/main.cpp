#include "cli/app.hpp"

int main(int argc, char** argv)
{
  return mdivicom::cli::run_app(argc, argv);
}
