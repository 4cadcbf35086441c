package greeter

import "testing"

func TestGreetNamesTheCaller(t *testing.T) {
	if got := Greet("ada"); got != "Hello, ada from ${{ values.name }}" {
		t.Fatalf("unexpected greeting %q", got)
	}
}

func TestGreetDefaultsToWorld(t *testing.T) {
	if got := Greet("  "); got != "Hello, world from ${{ values.name }}" {
		t.Fatalf("unexpected greeting %q", got)
	}
}
