module syncmap/peers/go

go 1.19
