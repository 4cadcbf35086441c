module github.com/${{ values.slug }}

go 1.19
