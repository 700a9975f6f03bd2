// Reports one error with a stack trace through raven-go (Debian's golang-github-getsentry-raven-go-dev)
// to the DSN given as the first argument, and prints the event id, for the end-to-end test to look
// up. Exits non-zero when the server refuses the event, with raven-go's reason.
package main

import (
	"fmt"
	"os"

	raven "github.com/getsentry/raven-go"
	"github.com/pkg/errors"
)

type order struct {
	total int
	items int
}

// pkg/errors records the stack where the error is made, and raven-go reports that stack.
func unitPrice(o order) (int, error) {
	if o.items == 0 {
		return 0, errors.Errorf("order of %d has no items to price", o.total)
	}
	return o.total / o.items, nil
}

func checkout(o order) error {
	_, err := unitPrice(o)
	return err
}

func main() {
	if err := raven.SetDSN(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	raven.SetRelease("faultline-e2e-go@1.0.0")
	raven.SetEnvironment("e2e")
	err := checkout(order{total: 10})
	packet := raven.NewPacket(err.Error(), raven.NewException(err, raven.GetOrNewStacktrace(err, 0, 3, nil)))
	eventID, sent := raven.Capture(packet, map[string]string{"suite": "raven-go"})
	if err := <-sent; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(eventID)
}
