package config

import "testing"

func TestDatabaseHostComesFromTheURL(t *testing.T) {
	cfg := Load(func(key string) string {
		if key == "DATABASE_URL" {
			return "postgres://app:pw@db.internal:5432/app"
		}
		return ""
	})
	if got := cfg.DatabaseHost(); got != "db.internal" {
		t.Fatalf("got %q", got)
	}
}
