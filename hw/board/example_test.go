package board_test

import (
	"fmt"

	"github.com/snnsim/snnsim/hw/board"
	"github.com/snnsim/snnsim/hw/proto"
)

// A raw transaction with the software board: REG_READ of ID and VERSION, answered in
// the same transaction after the two gap bytes.
func ExampleBoard_Transact() {
	b := board.New(board.Config{})
	payload := proto.AppendRegRead(nil, proto.RegID, 2)
	w := proto.AppendRequest(nil, proto.Request{Op: proto.OpRegRead, Seq: 1, Payload: payload})
	n := proto.TxLen(len(payload), 8)
	w = append(w, make([]byte, n-len(w))...)
	r := make([]byte, n)
	if err := b.Transact(w, r); err != nil {
		fmt.Println(err)
		return
	}
	resp, _, err := proto.DecodeResponse(r[proto.RespOffset(len(payload)):])
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := proto.ParseRegValues(resp.Data, 2)
	fmt.Printf("%s seq %d %s ID=%#x VERSION=%#x\n", resp.Op, resp.Seq, resp.Status, v[0], v[1])
	// Output: REG_READ seq 1 ACK|RESET|level=0 ID=0x534e4e31 VERSION=0x10000
}
