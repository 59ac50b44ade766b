package systemd

import _ "embed" // for the unit and example configuration

// Unit is the systemd unit, systemd/rollcall.service: install it as
// /etc/systemd/system/rollcall.service. `rollcall doctor` prints and checks it.
//
//go:embed rollcall.service
var Unit string

// ExampleConfig is systemd/rollcall.example.yaml, a commented configuration
// with one source of each type, meant for /etc/rollcall/rollcall.yaml.
//
//go:embed rollcall.example.yaml
var ExampleConfig string
