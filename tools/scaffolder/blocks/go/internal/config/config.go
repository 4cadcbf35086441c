// Package config reads the service's configuration from the environment.
package config

import "net/url"

// Config is the runtime configuration of ${{ values.name }}.
type Config struct {
	DatabaseURL string
}

// Load reads the configuration through getenv (os.Getenv in production, a map in tests).
func Load(getenv func(string) string) Config {
	dsn := getenv("DATABASE_URL")
{%- if values.database %}
	if dsn == "" {
		dsn = "${{ values.databaseUrl }}"
	}
{%- endif %}
	return Config{DatabaseURL: dsn}
}

// DatabaseHost is the host part of the database URL, or "" when there is none.
func (c Config) DatabaseHost() string {
	u, err := url.Parse(c.DatabaseURL)
	if err != nil || c.DatabaseURL == "" {
		return ""
	}
	return u.Hostname()
}
