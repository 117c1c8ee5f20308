// SPDX-License-Identifier: MIT
// A Go client for the `mpsteer run` tests: net.Dial makes raw socket syscalls, never libc's
// socket(), so only the seccomp mode can convert it.
// Usage: goclient HOST PORT IN OUT   (prints proto=N, echoes IN through the server into OUT)
package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: goclient HOST PORT IN OUT")
		os.Exit(64)
	}
	conn, err := net.Dial("tcp", net.JoinHostPort(os.Args[1], os.Args[2]))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	tcp := conn.(*net.TCPConn)
	raw, err := tcp.SyscallConn()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	proto := -1
	raw.Control(func(fd uintptr) {
		proto, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_PROTOCOL)
	})
	fmt.Printf("main proto=%d\n", proto)
	in, err := os.Open(os.Args[3])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out, err := os.Create(os.Args[4])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	done := make(chan error)
	go func() {
		_, err := io.Copy(tcp, in)
		tcp.CloseWrite()
		done <- err
	}()
	if _, err := io.Copy(out, tcp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	out.Close()
}
