// Package greeter holds the business logic behind the Greet RPC, free of transport concerns.
package greeter

import "strings"

// Greet returns the greeting for name; an empty name greets the world.
func Greet(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = "world"
	}
	return "Hello, " + name + " from ${{ values.name }}"
}
