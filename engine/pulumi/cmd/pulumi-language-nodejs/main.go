// Command pulumi-language-nodejs fronts Pulumi's Node.js language host for this project's engine build.
//
// The Go module proxy serves the Node.js language host only as it was when it still lived inside
// github.com/pulumi/pulumi/sdk/v3 (v3.68.0); the separate module it moved to is not served here. That
// host runs programs fine under the v3.248 engine but answers RunPlugin, the RPC through which the
// engine starts a Node.js policy pack, with "not supported". This front starts that host as a child,
// relays every RPC to it unchanged, and answers RunPlugin itself by running the policy pack (or plugin)
// with the @pulumi/pulumi entry point found from the pack's folder, streaming its output back.
// See docs/adr/0004-real-engine-from-go-modules.md.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
)

// upstreamName is the real language host's binary, kept under another name beside this one so that
// the engine's plugin lookup finds this front and not the host directly.
const upstreamName = "pulumi-language-nodejs-upstream"

const runPluginMethod = "/pulumirpc.LanguageRuntime/RunPlugin"

// rawCodec passes messages through as bytes, so the relay needs no knowledge of their types.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pulumi-language-nodejs: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	self, err := os.Executable()
	if err != nil {
		fail("cannot locate itself: %v", err)
	}
	upstream := filepath.Join(filepath.Dir(self), upstreamName)
	child := exec.Command(upstream, os.Args[1:]...)
	child.Stderr = os.Stderr
	child.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := child.StdoutPipe()
	if err != nil {
		fail("%v", err)
	}
	if err := child.Start(); err != nil {
		fail("cannot start %s: %v (run `npm run engine` to build it)", upstream, err)
	}
	reader := bufio.NewReader(out)
	portLine, err := reader.ReadString('\n')
	if err != nil {
		fail("the language host exited before announcing its port: %v", err)
	}
	go func() { _, _ = io.Copy(os.Stdout, reader) }()

	conn, err := grpc.NewClient("127.0.0.1:"+strings.TrimSpace(portLine),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{}), grpc.MaxCallRecvMsgSize(1<<30), grpc.MaxCallSendMsgSize(1<<30)))
	if err != nil {
		fail("cannot reach the language host: %v", err)
	}

	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("%v", err)
	}
	server := grpc.NewServer(
		grpc.ForceServerCodec(rawCodec{}),
		grpc.MaxRecvMsgSize(1<<30), grpc.MaxSendMsgSize(1<<30),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			method, _ := grpc.MethodFromServerStream(stream)
			if method == runPluginMethod {
				return runPlugin(stream)
			}
			return relay(conn, method, stream)
		}))
	fmt.Printf("%d\n", listener.Addr().(*net.TCPAddr).Port)

	go func() {
		err := child.Wait()
		server.Stop()
		if err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}()
	if err := server.Serve(listener); err != nil {
		fail("%v", err)
	}
}

// relay forwards one call, in both directions, to the upstream host.
func relay(conn *grpc.ClientConn, method string, in grpc.ServerStream) error {
	ctx, cancel := context.WithCancel(in.Context())
	defer cancel()
	if md, ok := metadata.FromIncomingContext(ctx); ok {
		ctx = metadata.NewOutgoingContext(ctx, md.Copy())
	}
	upstream, err := conn.NewStream(ctx, &grpc.StreamDesc{ClientStreams: true, ServerStreams: true}, method)
	if err != nil {
		return err
	}
	go func() {
		for {
			var msg []byte
			if err := in.RecvMsg(&msg); err != nil {
				if errors.Is(err, io.EOF) {
					_ = upstream.CloseSend()
				} else {
					cancel()
				}
				return
			}
			if err := upstream.SendMsg(&msg); err != nil {
				return
			}
		}
	}()
	header, err := upstream.Header()
	if err != nil {
		return err
	}
	if err := in.SendHeader(header); err != nil {
		return err
	}
	for {
		var msg []byte
		if err := upstream.RecvMsg(&msg); err != nil {
			in.SetTrailer(upstream.Trailer())
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if err := in.SendMsg(&msg); err != nil {
			return err
		}
	}
}

// entryPoints maps a plugin kind to the @pulumi/pulumi command that serves it.
var entryPoints = map[string]string{"analyzer": "run-policy-pack", "resource": "run-plugin"}

// findEntryPoint looks for node_modules/@pulumi/pulumi/cmd/<name> from dir upwards, as Node's
// resolution would from a file in dir.
func findEntryPoint(dir, name string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", "cmd", name)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("Cannot find module '@pulumi/pulumi/cmd/%s' from %s; run npm install there", name, dir)
		}
	}
}

type chunkWriter struct {
	send   func(*pulumirpc.RunPluginResponse) error
	stderr bool
}

func (w chunkWriter) Write(p []byte) (int, error) {
	data := append([]byte(nil), p...)
	resp := &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: data}}
	if w.stderr {
		resp = &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: data}}
	}
	return len(p), w.send(resp)
}

// runPlugin runs a Node.js plugin (a policy pack, for the engine) and streams its output and exit code.
func runPlugin(stream grpc.ServerStream) error {
	var raw []byte
	if err := stream.RecvMsg(&raw); err != nil {
		return err
	}
	req := &pulumirpc.RunPluginRequest{}
	if err := proto.Unmarshal(raw, req); err != nil {
		return err
	}
	dir := req.GetPwd()
	if info := req.GetInfo(); info != nil && info.GetProgramDirectory() != "" {
		dir = info.GetProgramDirectory()
	}
	name, ok := entryPoints[req.GetKind()]
	if !ok {
		name = entryPoints["resource"]
	}
	entry, err := findEntryPoint(dir, name)
	if err != nil {
		return err
	}
	sendMu := make(chan struct{}, 1)
	send := func(resp *pulumirpc.RunPluginResponse) error {
		sendMu <- struct{}{}
		defer func() { <-sendMu }()
		b, err := proto.Marshal(resp)
		if err != nil {
			return err
		}
		return stream.SendMsg(&b)
	}
	args := append([]string{entry}, req.GetArgs()...)
	args = append(args, ".")
	cmd := exec.CommandContext(stream.Context(), "node", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	cmd.Stdout = chunkWriter{send: send}
	cmd.Stderr = chunkWriter{send: send, stderr: true}
	code := int32(0)
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = int32(exit.ExitCode())
	}
	return send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: code}})
}
