//go:build tools

package main

// Dependencies the packages in progress will use; removed once imported for real.
import (
	_ "github.com/google/go-cmp/cmp"
	_ "github.com/google/go-github/v60/github"
	_ "github.com/hashicorp/go-retryablehttp"
	_ "github.com/sourcegraph/conc"
	_ "golang.org/x/oauth2"
	_ "golang.org/x/term"
	_ "modernc.org/sqlite"
)
