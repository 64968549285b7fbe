#include "app/app.h"

int main(int argc, char** argv) {
    return esta::app::run_cli(argc, argv);
}
